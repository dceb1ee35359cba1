import { openAICompatible } from './openai-compatible.js'
import type { ProviderAdapter } from './types.js'

/** Puter's OpenAI-compatible endpoint (seed 000). */
export const PUTER_BASE_URL = 'https://api.puter.com/puterai/openai/v1'
/** Seed 000: the default model of Puter's OpenAI-compatible endpoint. */
export const PUTER_DEFAULT_MODEL = 'claude-3-5-haiku-20241022'

export interface PuterConfig {
  baseUrl?: string
  defaultModel?: string
}

/** The token is the project's vault secret `provider.puter`, resolved by the proxy on every call. */
export function puterProvider (config: PuterConfig = {}, name = 'puter'): ProviderAdapter {
  return openAICompatible({
    name,
    kind: 'puter',
    baseUrl: config.baseUrl ?? PUTER_BASE_URL,
    defaultModel: config.defaultModel ?? PUTER_DEFAULT_MODEL,
    includeUsage: 'always'
  })
}
