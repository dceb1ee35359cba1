import { openAICompatible } from './openai-compatible.js'
import type { ProviderAdapter } from './types.js'

export const OPENROUTER_BASE_URL = 'https://openrouter.ai/api/v1'

export interface OpenRouterConfig {
  baseUrl?: string
  /** Sent as `HTTP-Referer`: OpenRouter attributes usage to this app URL. */
  referer?: string
  /** Sent as `X-Title`. */
  title?: string
}

/** OpenRouter reports each call's cost in `usage.cost` (USD); pulse-proxy prefers it to its own pricing. */
export function openrouterProvider (config: OpenRouterConfig = {}, name = 'openrouter'): ProviderAdapter {
  const headers: Record<string, string> = {}
  if (config.referer !== undefined) headers['http-referer'] = config.referer
  if (config.title !== undefined) headers['x-title'] = config.title
  return openAICompatible({
    name,
    kind: 'openrouter',
    baseUrl: config.baseUrl ?? OPENROUTER_BASE_URL,
    includeUsage: 'always',
    reportsCost: true,
    headers
  })
}
