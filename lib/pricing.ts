/**
 * Cost in US cents from a pricing table. Prices are cents per 1 million tokens.
 *
 * Token semantics (the trace schema's): `inputTokens` counts every input token, cache reads
 * and cache writes included; `cacheReadTokens`/`cacheWriteTokens` say how many of them were
 * cache hits/writes, which are billed at their own price where the provider prices them.
 * An unknown model has no cost (`null`): we never guess from a similar name.
 */

export interface ModelPrice {
  inputCentsPer1M: number
  outputCentsPer1M: number
  /** Price of a prompt-cache hit; absent: cache hits are billed as input. */
  cacheReadCentsPer1M?: number
  /** Price of writing to the prompt cache; absent: cache writes are billed as input. */
  cacheWriteCentsPer1M?: number
}

export interface Usage {
  inputTokens?: number | null
  outputTokens?: number | null
  cacheReadTokens?: number | null
  cacheWriteTokens?: number | null
}

export type PriceTable = Readonly<Record<string, ModelPrice>>

const p = (inputCentsPer1M: number, outputCentsPer1M: number, cacheReadCentsPer1M?: number, cacheWriteCentsPer1M?: number): ModelPrice =>
  Object.freeze({
    inputCentsPer1M,
    outputCentsPer1M,
    ...(cacheReadCentsPer1M !== undefined ? { cacheReadCentsPer1M } : {}),
    ...(cacheWriteCentsPer1M !== undefined ? { cacheWriteCentsPer1M } : {})
  })

/**
 * Built-in prices (standard tier, checked 2025). Keys are model ids without a date suffix;
 * a dated id (`gpt-4o-2024-08-06`, `claude-3-5-sonnet-20241022`) falls back to its base name
 * unless it has its own entry.
 */
export const DEFAULT_PRICES: PriceTable = Object.freeze({
  // OpenAI — source: https://openai.com/api/pricing/ and https://platform.openai.com/docs/pricing
  // (cached input = cacheRead; OpenAI does not charge for cache writes)
  'gpt-4o': p(250, 1000, 125), // https://platform.openai.com/docs/models/gpt-4o
  'gpt-4o-2024-05-13': p(500, 1500), // https://platform.openai.com/docs/models/gpt-4o (original snapshot)
  'gpt-4o-mini': p(15, 60, 7.5), // https://platform.openai.com/docs/models/gpt-4o-mini
  'gpt-4-turbo': p(1000, 3000), // https://platform.openai.com/docs/models/gpt-4-turbo
  'gpt-4': p(3000, 6000), // https://platform.openai.com/docs/models/gpt-4
  'gpt-3.5-turbo': p(50, 150), // https://platform.openai.com/docs/models/gpt-3.5-turbo (gpt-3.5-turbo-0125)
  'gpt-4.1': p(200, 800, 50), // https://platform.openai.com/docs/models/gpt-4.1
  'gpt-4.1-mini': p(40, 160, 10), // https://platform.openai.com/docs/models/gpt-4.1-mini
  'gpt-4.1-nano': p(10, 40, 2.5), // https://platform.openai.com/docs/models/gpt-4.1-nano
  'gpt-5': p(125, 1000, 12.5), // https://platform.openai.com/docs/models/gpt-5
  'gpt-5-mini': p(25, 200, 2.5), // https://platform.openai.com/docs/models/gpt-5-mini
  'gpt-5-nano': p(5, 40, 0.5), // https://platform.openai.com/docs/models/gpt-5-nano
  o1: p(1500, 6000, 750), // https://platform.openai.com/docs/models/o1
  'o1-mini': p(110, 440, 55), // https://platform.openai.com/docs/models/o1-mini
  o3: p(200, 800, 50), // https://platform.openai.com/docs/models/o3 (after the June 2025 price change)
  'o3-mini': p(110, 440, 55), // https://platform.openai.com/docs/models/o3-mini
  'o4-mini': p(110, 440, 27.5), // https://platform.openai.com/docs/models/o4-mini
  'text-embedding-3-small': p(2, 0), // https://platform.openai.com/docs/models/text-embedding-3-small
  'text-embedding-3-large': p(13, 0), // https://platform.openai.com/docs/models/text-embedding-3-large
  'text-embedding-ada-002': p(10, 0), // https://platform.openai.com/docs/models/text-embedding-ada-002

  // Anthropic — source: https://www.anthropic.com/pricing#api and
  // https://docs.anthropic.com/en/docs/about-claude/pricing (cache write = 5-minute cache write, 1.25× input)
  'claude-3-5-sonnet': p(300, 1500, 30, 375), // https://docs.anthropic.com/en/docs/about-claude/pricing
  'claude-3-5-haiku': p(80, 400, 8, 100), // https://docs.anthropic.com/en/docs/about-claude/pricing
  'claude-3-opus': p(1500, 7500, 150, 1875), // https://docs.anthropic.com/en/docs/about-claude/pricing
  'claude-3-haiku': p(25, 125, 3, 30), // https://docs.anthropic.com/en/docs/about-claude/pricing
  'claude-3-7-sonnet': p(300, 1500, 30, 375), // https://docs.anthropic.com/en/docs/about-claude/pricing
  'claude-sonnet-4': p(300, 1500, 30, 375), // https://docs.anthropic.com/en/docs/about-claude/pricing
  'claude-sonnet-4-5': p(300, 1500, 30, 375), // https://docs.anthropic.com/en/docs/about-claude/pricing (≤ 200k input tokens)
  'claude-opus-4': p(1500, 7500, 150, 1875), // https://docs.anthropic.com/en/docs/about-claude/pricing
  'claude-opus-4-1': p(1500, 7500, 150, 1875), // https://docs.anthropic.com/en/docs/about-claude/pricing
  'claude-opus-4-5': p(500, 2500, 50, 625), // https://docs.anthropic.com/en/docs/about-claude/pricing
  'claude-haiku-4-5': p(100, 500, 10, 125) // https://docs.anthropic.com/en/docs/about-claude/pricing
})

// Only suffixes that name a snapshot of the same model; anything else is a different model.
const SNAPSHOT_SUFFIX = /-(?:\d{4}-\d{2}-\d{2}|\d{8}|latest)$/

/** Ids a model may be priced under, most specific first: `openai/gpt-4o-2024-08-06` → itself, `gpt-4o-2024-08-06`, `gpt-4o`. */
export function priceKeys (model: string): string[] {
  const keys = [model]
  const slash = model.lastIndexOf('/')
  // OpenRouter-style `vendor/model` ids.
  const bare = slash >= 0 ? model.slice(slash + 1) : model
  if (bare !== model) keys.push(bare)
  const base = bare.replace(SNAPSHOT_SUFFIX, '')
  if (base !== bare) keys.push(base)
  return keys
}

export interface Pricing {
  /** The price a model is billed at, or null when it is not in the table. */
  price(model: string): ModelPrice | null
  /** Cost in US cents (unrounded), or null for an unknown model. */
  cost(model: string, usage: Usage): number | null
  /** Every model id in the table. */
  models(): string[]
}

/**
 * A pricing table: the built-in prices, extended or overridden by `overrides` (same keys:
 * model ids, optionally vendor-prefixed or dated for a specific snapshot).
 */
export function createPricing (overrides: Readonly<Record<string, ModelPrice>> = {}, base: PriceTable = DEFAULT_PRICES): Pricing {
  const table = new Map<string, ModelPrice>(Object.entries(base))
  for (const [model, price] of Object.entries(overrides)) table.set(model, price)

  function price (model: string): ModelPrice | null {
    for (const key of priceKeys(model)) {
      const found = table.get(key)
      if (found !== undefined) return found
    }
    return null
  }

  return {
    price,
    cost (model, usage) {
      const found = price(model)
      return found === null ? null : costOf(found, usage)
    },
    models: () => [...table.keys()]
  }
}

const nonNegative = (n: number | null | undefined) => (typeof n === 'number' && Number.isFinite(n) && n > 0 ? n : 0)

/** Cost in US cents of `usage` at `price`. */
export function costOf (price: ModelPrice, usage: Usage): number {
  const input = nonNegative(usage.inputTokens)
  const output = nonNegative(usage.outputTokens)
  const cacheRead = Math.min(nonNegative(usage.cacheReadTokens), input)
  const cacheWrite = Math.min(nonNegative(usage.cacheWriteTokens), input - cacheRead)
  const uncached = input - cacheRead - cacheWrite
  const cents = uncached * price.inputCentsPer1M +
    cacheRead * (price.cacheReadCentsPer1M ?? price.inputCentsPer1M) +
    cacheWrite * (price.cacheWriteCentsPer1M ?? price.inputCentsPer1M) +
    output * price.outputCentsPer1M
  return cents / 1_000_000
}

/** Seed 001's helper: cost in cents of a call, or null for an unknown model. */
export function calculateCost (model: string, inputTokens: number, outputTokens: number, pricing: Pricing = createPricing()): number | null {
  return pricing.cost(model, { inputTokens, outputTokens })
}
