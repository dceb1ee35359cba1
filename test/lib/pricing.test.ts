import t from 'tap'
import { calculateCost, costOf, createPricing, DEFAULT_PRICES, priceKeys } from '../../lib/pricing.js'

t.test('seed 001 models are priced; known model + tokens = expected cents', async (t) => {
  for (const m of ['gpt-4o', 'gpt-4o-mini', 'gpt-4-turbo', 'gpt-3.5-turbo', 'claude-3-5-sonnet', 'claude-3-5-haiku', 'claude-3-opus']) {
    t.ok(DEFAULT_PRICES[m], `${m} is in the table`)
  }
  t.equal(calculateCost('gpt-4o', 1_000_000, 1_000_000), 250 + 1000)
  t.equal(calculateCost('gpt-4o-mini', 1000, 0), 0.015, 'sub-cent cost is kept')
  t.equal(calculateCost('claude-3-5-sonnet-20241022', 2000, 1000), (2000 * 300 + 1000 * 1500) / 1e6, 'a dated snapshot uses its base price')
  t.equal(calculateCost('anthropic/claude-3-5-haiku', 1_000_000, 0), 80, 'a vendor-prefixed id uses the bare price')
})

t.test('unknown model → null, never a guess from a similar name', async (t) => {
  t.equal(calculateCost('gpt-4o-ultra', 10, 10), null)
  t.equal(calculateCost('my-finetune', 10, 10), null)
  t.equal(calculateCost('gpt-4o-mini-2099', 10, 10), null, 'only date snapshots fall back')
  t.equal(createPricing().price('nope'), null)
})

t.test('edge cases: zero tokens, large numbers, garbage counts', async (t) => {
  t.equal(calculateCost('gpt-4o', 0, 0), 0)
  t.equal(calculateCost('gpt-4o', 1e12, 0), 250 * 1e6)
  t.equal(createPricing().cost('gpt-4o', { inputTokens: -5, outputTokens: Number.NaN }), 0)
})

t.test('cache reads and writes at their own prices; counts are part of input', async (t) => {
  const sonnet = DEFAULT_PRICES['claude-3-5-sonnet']!
  // 1000 input tokens of which 600 cache reads and 300 cache writes: 100 uncached.
  t.equal(costOf(sonnet, { inputTokens: 1000, cacheReadTokens: 600, cacheWriteTokens: 300, outputTokens: 10 }),
    (100 * 300 + 600 * 30 + 300 * 375 + 10 * 1500) / 1e6)
  const gpt = DEFAULT_PRICES['gpt-4o']!
  t.equal(costOf(gpt, { inputTokens: 1000, cacheReadTokens: 400, outputTokens: 0 }), (600 * 250 + 400 * 125) / 1e6)
  t.equal(costOf(DEFAULT_PRICES['gpt-4-turbo']!, { inputTokens: 1000, cacheReadTokens: 400 }), 1000 * 1000 / 1e6,
    'no cache price: cache reads are billed as input')
  t.equal(costOf(gpt, { inputTokens: 10, cacheReadTokens: 50 }), (10 * 125) / 1e6, 'cache counts never exceed input')
})

t.test('extendable and overridable through options; the default table is untouched', async (t) => {
  const pricing = createPricing({ 'my-model': { inputCentsPer1M: 100, outputCentsPer1M: 200 }, 'gpt-4o': { inputCentsPer1M: 1, outputCentsPer1M: 1 } })
  t.equal(pricing.cost('my-model', { inputTokens: 1_000_000, outputTokens: 1_000_000 }), 300)
  t.equal(pricing.cost('gpt-4o', { inputTokens: 1_000_000 }), 1)
  t.ok(pricing.models().includes('my-model'))
  t.equal(createPricing().cost('gpt-4o', { inputTokens: 1_000_000 }), 250)
  t.ok(Object.isFrozen(DEFAULT_PRICES))
})

t.test('priceKeys', async (t) => {
  t.same(priceKeys('openai/gpt-4o-2024-08-06'), ['openai/gpt-4o-2024-08-06', 'gpt-4o-2024-08-06', 'gpt-4o'])
  t.same(priceKeys('claude-3-5-sonnet-latest'), ['claude-3-5-sonnet-latest', 'claude-3-5-sonnet'])
  t.same(priceKeys('gpt-4o'), ['gpt-4o'])
  t.equal(createPricing().price('gpt-4o-2024-05-13')?.inputCentsPer1M, 500, 'a snapshot with its own price keeps it')
})
