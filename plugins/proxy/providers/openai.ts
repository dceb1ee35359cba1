import { openAICompatible } from './openai-compatible.js'
import type { ProviderAdapter } from './types.js'

export const OPENAI_BASE_URL = 'https://api.openai.com/v1'

export interface OpenAIConfig {
  baseUrl?: string
}

export function openaiProvider (config: OpenAIConfig = {}, name = 'openai'): ProviderAdapter {
  return openAICompatible({ name, kind: 'openai', baseUrl: config.baseUrl ?? OPENAI_BASE_URL, includeUsage: 'always' })
}
