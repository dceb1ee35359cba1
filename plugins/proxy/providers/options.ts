import { Type, type Static } from '@sinclair/typebox'

const IncludeUsage = Type.Union([Type.Literal('always'), Type.Literal('never'), Type.Literal('auto')], {
  description: 'Add stream_options.include_usage to streaming requests. auto: add it; if the server answers 400/422, retry once without it and remember that base URL.'
})

/** One provider's settings. Which fields apply depends on the provider (checked in registry.ts). */
export const ProviderConfig = Type.Object({
  baseUrl: Type.Optional(Type.String({ minLength: 1, description: 'Upstream base URL including the version segment, e.g. https://api.openai.com/v1. Required for custom providers.' })),
  includeUsage: Type.Optional(IncludeUsage),
  defaultModel: Type.Optional(Type.String({ minLength: 1, description: 'Model used when a request names only the provider ("puter").' })),
  headers: Type.Optional(Type.Record(Type.String(), Type.String(), { description: 'Static, non-secret headers for a custom provider.' })),
  requiresKey: Type.Optional(Type.Boolean({ description: 'Custom providers: false for servers that need no key (local Ollama, vLLM).' })),
  version: Type.Optional(Type.String({ minLength: 1, description: 'anthropic: anthropic-version header when the client sends none (default 2023-06-01).' })),
  defaultMaxTokens: Type.Optional(Type.Integer({ minimum: 1, description: 'anthropic: max_tokens for translated OpenAI requests that set none (default 4096).' })),
  referer: Type.Optional(Type.String({ description: 'openrouter: HTTP-Referer header.' })),
  title: Type.Optional(Type.String({ description: 'openrouter: X-Title header.' }))
}, { additionalProperties: false })

export type ProviderConfig = Static<typeof ProviderConfig>

/**
 * `providers: { openai: {}, anthropic: {}, openrouter: {}, puter: {}, mock: {}, ollama: { baseUrl } }`.
 * Names are routing prefixes (`ollama/llama3.1`); any name that is not built in is a custom
 * OpenAI-compatible provider and needs `baseUrl`.
 */
export const ProvidersOptions = Type.Record(
  Type.String({ pattern: '^[a-z0-9][a-z0-9_-]{0,31}$' }),
  ProviderConfig,
  { default: { openai: {} }, additionalProperties: false, description: 'Enabled providers by routing name (lower-case letters, digits, - and _).' }
)

export type ProvidersOptions = Static<typeof ProvidersOptions>

export const DefaultProviderOption = Type.String({
  pattern: '^[a-z0-9][a-z0-9_-]{0,31}$',
  default: 'openai',
  description: 'Where OpenAI-format requests with a plain model name go. Must be a configured provider.'
})
