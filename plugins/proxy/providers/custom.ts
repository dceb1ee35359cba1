import { openAICompatible } from './openai-compatible.js'
import type { IncludeUsageMode, ProviderAdapter } from './types.js'

export interface CustomProviderConfig {
  baseUrl: string
  /** Default `auto`: inject, and stop for this base URL once it rejects the field. */
  includeUsage?: IncludeUsageMode
  defaultModel?: string
  /** Static, non-secret headers. Credentials come from the vault, never from config. */
  headers?: Record<string, string>
  /** Some local servers (Ollama, llama.cpp) need no key. Default true. */
  requiresKey?: boolean
}

/** Any OpenAI-compatible server, routed by the name it is configured under. */
export function customProvider (name: string, config: CustomProviderConfig): ProviderAdapter {
  const spec: Parameters<typeof openAICompatible>[0] = {
    name,
    kind: 'openai-compatible',
    baseUrl: config.baseUrl,
    includeUsage: config.includeUsage ?? 'auto',
    requiresKey: config.requiresKey ?? true
  }
  if (config.defaultModel !== undefined) spec.defaultModel = config.defaultModel
  if (config.headers !== undefined) spec.headers = config.headers
  return openAICompatible(spec)
}
