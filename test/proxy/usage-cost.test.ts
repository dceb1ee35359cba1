import t from 'tap'
import { createPricing } from '../../lib/pricing.js'
import type { TraceRecord } from '../../plugins/traces/store/store.js'
import type { Exchange, UpstreamKind } from '../helpers/mock-upstreams.js'
import { proxyHarness, traceOf } from '../helpers/proxy.js'
import { rng } from '../helpers/rng.js'

/**
 * Exact usage and cost at the route: the same exchange, streamed and not, through every route
 * and translation path, must be traced with identical token counts (cache reads and writes
 * apart) and identical cost.
 */

interface Path { name: string, kind: UpstreamKind, url: string, model: string, anthropicClient: boolean }
const PATHS: Path[] = [
  { name: 'openai', kind: 'openai', url: '/v1/chat/completions', model: 'gpt-4o', anthropicClient: false },
  { name: 'custom OpenAI-compatible', kind: 'openai', url: '/v1/chat/completions', model: 'compat/gpt-4o-mini', anthropicClient: false },
  { name: 'openrouter', kind: 'openrouter', url: '/v1/chat/completions', model: 'openrouter/anthropic/claude-3.5-haiku', anthropicClient: false },
  { name: 'anthropic native', kind: 'anthropic', url: '/v1/messages', model: 'claude-3-5-haiku-20241022', anthropicClient: true },
  { name: 'anthropic → openai', kind: 'anthropic', url: '/v1/chat/completions', model: 'anthropic/claude-3-5-haiku-20241022', anthropicClient: false }
]

function exchange (seed: number): Exchange {
  const r = rng(seed)
  const int = (max: number): number => Math.floor(r() * max)
  const cacheRead = r() < 0.4 ? 0 : int(5000)
  const cacheWrite = r() < 0.5 ? 0 : int(3000)
  const x: Exchange = {
    text: ['Short.', 'Paris — café ☕ naïve 🇫🇷 résumé.', 'Several words in a row here, ok?'][int(3)] ?? 'x',
    inputTokens: cacheRead + cacheWrite + 1 + int(2000),
    outputTokens: 2 + int(900),
    cacheReadTokens: cacheRead,
    cacheWriteTokens: cacheWrite,
    costUsd: Math.round(r() * 1e6) / 1e8
  }
  if (r() < 0.3) x.toolCall = { id: `call_${seed}`, name: 'lookup', arguments: { q: `seed ${seed}` } }
  return x
}

const pick = (tr: TraceRecord | undefined) => tr === undefined
  ? undefined
  : { input: tr.input_tokens, output: tr.output_tokens, cacheRead: tr.cache_read_tokens, cacheWrite: tr.cache_write_tokens, cost: tr.cost_cents, source: tr.cost_source }

t.test('property: streamed and non-streamed calls trace identical tokens and cost on every path', async (t) => {
  // The harness starts the mock upstreams; a second app adds a custom provider in front of the OpenAI one.
  const base = await proxyHarness(t)
  const app = await proxyHarness(t, {
    providers: {
      openai: { baseUrl: base.upstreams.openai.baseUrl },
      anthropic: { baseUrl: base.upstreams.anthropic.baseUrl },
      openrouter: { baseUrl: base.upstreams.openrouter.baseUrl },
      compat: { baseUrl: base.upstreams.openai.baseUrl, includeUsage: 'always' }
    }
  })
  await app.app.pulse.vault.put(app.projectId, 'provider.compat', 'sk-compat-0123456789abcdef')
  const mocks = base.upstreams
  let count = 0
  for (let seed = 1; seed <= 12; seed++) {
    const x = exchange(seed)
    for (const p of PATHS) {
      const label = `seed ${seed}, ${p.name}`
      const body: Record<string, unknown> = { model: p.model, max_tokens: 1000, messages: [{ role: 'user', content: 'q' }] }
      const variants: Array<Record<string, unknown>> = [body, { ...body, stream: true }]
      if (!p.anthropicClient) variants.push({ ...body, stream: true, stream_options: { include_usage: true } })
      const before = (await app.traces()).length
      const ids: string[] = []
      for (const [i, v] of variants.entries()) {
        mocks[p.kind].next({ exchange: x, split: v.stream === true ? 'awkward' : undefined })
        const id = `s${seed}-${p.name.replace(/[^a-z]/g, '')}-${i}`
        ids.push(id)
        const res = await app.app.inject({ method: 'POST', url: p.url, headers: { ...app.headers, 'x-request-id': id }, payload: v })
        if (res.statusCode !== 200) t.fail(`${label}: ${res.statusCode} ${res.body}`)
        count++
      }
      const all = await app.traces()
      t.equal(all.length - before, variants.length, `${label}: one trace per call`)
      const [plain, ...streamed] = ids.map((id) => pick(traceOf(all, id)))
      t.equal(plain?.input, x.inputTokens, `${label}: input tokens (cache included)`)
      t.equal(plain?.cacheRead, x.cacheReadTokens, `${label}: cache reads`)
      if (p.kind !== 'openai') t.equal(plain?.cacheWrite, x.cacheWriteTokens, `${label}: cache writes`)
      t.equal(plain?.output, x.outputTokens, `${label}: output tokens`)
      t.ok(typeof plain?.cost === 'number', `${label}: a cost`)
      for (const s of streamed) t.same(s, plain, `${label}: streamed = non-streamed`)
    }
  }
  t.ok(count > 0)
})

t.test('cost sources: provider-reported (OpenRouter), pricing table with cache prices, none for unpriced models', async (t) => {
  const h = await proxyHarness(t)
  const x: Exchange = { text: 'hi', inputTokens: 10_000, outputTokens: 1000, cacheReadTokens: 4000, cacheWriteTokens: 2000, costUsd: 0.0123 }

  h.upstreams.openrouter.next({ exchange: x })
  await h.app.inject({ method: 'POST', url: '/v1/chat/completions', headers: { ...h.headers, 'x-request-id': 'or' }, payload: { model: 'openrouter/anthropic/claude-3.5-haiku', messages: [{ role: 'user', content: 'q' }] } })
  h.upstreams.anthropic.next({ exchange: x })
  await h.app.inject({ method: 'POST', url: '/v1/messages', headers: { ...h.headers, 'x-request-id': 'an' }, payload: { model: 'claude-3-5-haiku-20241022', max_tokens: 10, messages: [{ role: 'user', content: 'q' }] } })
  h.upstreams.openai.next({ exchange: { ...x, model: 'gpt-9-preview' } })
  const unpriced = await h.app.inject({ method: 'POST', url: '/v1/chat/completions', headers: { ...h.headers, 'x-request-id': 'un' }, payload: { model: 'gpt-9-preview', messages: [{ role: 'user', content: 'q' }] } })
  t.equal(unpriced.statusCode, 200, 'an unpriced model is served')

  const recorded = await h.traces()
  const [or, an, un] = ['or', 'an', 'un'].map((id) => traceOf(recorded, id))
  t.equal(or?.cost_cents, 1.23, 'OpenRouter usage.cost (USD) in cents')
  t.equal(or?.cost_source, 'provider')
  const expected = createPricing().cost('claude-3-5-haiku-20241022', { inputTokens: 10_000, outputTokens: 1000, cacheReadTokens: 4000, cacheWriteTokens: 2000 })
  t.equal(an?.cost_source, 'pricing_table')
  t.equal(an?.cost_cents, expected, 'cache reads and writes at their own prices')
  t.not(expected, createPricing().cost('claude-3-5-haiku-20241022', { inputTokens: 10_000, outputTokens: 1000 }), 'which differs from pricing them as input')
  t.equal(un?.cost_cents, undefined, 'no cost for an unpriced model — never a silent 0')
  t.equal(un?.cost_source, 'none')
  t.equal(un?.unpriced, true, 'flagged on the trace')
  t.equal(un?.input_tokens, 10_000, 'tokens still recorded')

  h.upstreams.openai.next({ exchange: { ...x, model: 'gpt-9-preview' } })
  await h.app.inject({ method: 'POST', url: '/v1/chat/completions', headers: h.headers, payload: { model: 'gpt-9-preview', messages: [{ role: 'user', content: 'q' }], stream: true } })
  await h.traces()
  const list = await h.app.inject({ method: 'GET', url: '/v1/pricing/unpriced', headers: h.headers })
  t.equal(list.statusCode, 200)
  const models = list.json().data.models as Array<{ provider: string, model: string, count: number, lastSeen: string }>
  t.equal(models.length, 1)
  t.match(models[0], { provider: 'openai', model: 'gpt-9-preview', count: 2 })
  t.ok(Date.parse(models[0]?.lastSeen ?? '') > 0)

  const other = await h.app.inject({ method: 'POST', url: '/v1/projects', headers: { 'x-admin-key': 'test-admin-key-0123456789abcdef' }, payload: { name: 'other' } })
  const otherList = await h.app.inject({ method: 'GET', url: '/v1/pricing/unpriced', headers: { authorization: `Bearer ${other.json().data.apiKey as string}` } })
  t.same(otherList.json().data.models, [], 'project-scoped')
})

t.test('a price override makes a model priced', async (t) => {
  const h = await proxyHarness(t, { proxy: { pricing: { 'gpt-9-preview': { inputCentsPer1M: 100, outputCentsPer1M: 200 } } } })
  h.upstreams.openai.next({ exchange: { text: 'x', inputTokens: 1_000_000, outputTokens: 1_000_000, model: 'gpt-9-preview' } })
  await h.app.inject({ method: 'POST', url: '/v1/chat/completions', headers: h.headers, payload: { model: 'gpt-9-preview', messages: [{ role: 'user', content: 'q' }] } })
  const [tr] = await h.traces()
  t.equal(tr?.cost_cents, 300)
  t.equal(tr?.cost_source, 'pricing_table')
})

t.test('include_usage on a custom base URL: a 400 is retried once without it, and remembered', async (t) => {
  const h = await proxyHarness(t)
  const app = await proxyHarness(t, { providers: { compat: { baseUrl: h.upstreams.openai.baseUrl } } })
  await app.app.pulse.vault.put(app.projectId, 'provider.compat', 'sk-compat-0123456789abcdef')
  const mock = h.upstreams.openai
  const ask = async () => await app.app.inject({ method: 'POST', url: '/v1/chat/completions', headers: app.headers, payload: { model: 'compat/gpt-4o', stream: true, messages: [{ role: 'user', content: 'q' }] } })

  mock.next({ status: 400, errorBody: { error: { message: 'Unrecognized request argument supplied: stream_options', type: 'invalid_request_error' } } })
  const first = await ask()
  t.equal(first.statusCode, 200, 'the client never sees the rejection')
  const [rejected, retried] = mock.requests.slice(-2)
  t.match(rejected?.body, { stream_options: { include_usage: true } })
  t.notOk((retried?.body as Record<string, unknown>).stream_options, 'retried without the field')

  await ask()
  t.notOk((mock.requests.at(-1)?.body as Record<string, unknown>).stream_options, 'remembered: not sent again')
  t.equal(mock.requests.length, 3, 'no retry the second time')
  const traces = await app.traces()
  t.equal(traces.length, 2, 'the retried call is one trace')
  t.ok(traces.every((tr) => tr.status === 'success'))

  // A 400 that persists without the field was not about it: the client gets it, nothing remembered.
  const third = await proxyHarness(t, { providers: { compat: { baseUrl: h.upstreams.openai.baseUrl } } })
  await third.app.pulse.vault.put(third.projectId, 'provider.compat', 'sk-compat-0123456789abcdef')
  mock.next({ status: 400 })
  mock.next({ status: 400 })
  const bad = await third.app.inject({ method: 'POST', url: '/v1/chat/completions', headers: third.headers, payload: { model: 'compat/gpt-4o', stream: true, messages: [{ role: 'user', content: 'q' }] } })
  t.equal(bad.statusCode, 400)
  t.equal(bad.json().error.cause, 'provider_4xx')
  t.notOk(third.app.pulse.proxy.registry.includeUsage.isRejected(h.upstreams.openai.baseUrl))
})
