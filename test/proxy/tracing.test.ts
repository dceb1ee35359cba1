import t from 'tap'
import { memoryStore } from '../../lib/store/index.js'
import { MemoryTraces } from '../../plugins/traces/store/memory.js'
import type { TraceRecord } from '../../plugins/traces/store/store.js'
import type { RecordedTrace } from '../../plugins/traces/schemas.js'
import { proxyHarness, traceOf } from '../helpers/proxy.js'

const chat = { model: 'gpt-4o', messages: [{ role: 'user', content: 'Capital of France? my key is sk-proj-secretsecretsecret123' }] }

t.test('a success trace carries provider, models, request id, tokens, latency, ttft, finish reason, cost; bodies redacted', async (t) => {
  const h = await proxyHarness(t)
  await h.app.inject({ method: 'POST', url: '/v1/chat/completions', headers: { ...h.headers, 'x-request-id': 'plain', 'x-pulse-session-id': 'sess-1' }, payload: chat })
  h.upstreams.openai.next({ split: 'awkward' })
  await h.app.inject({ method: 'POST', url: '/v1/chat/completions', headers: { ...h.headers, 'x-request-id': 'streamed' }, payload: { ...chat, stream: true } })
  const traces = await h.traces()
  t.equal(traces.length, 2)
  const plain = traceOf(traces, 'plain')
  t.match(plain, {
    provider: 'openai',
    model_requested: 'gpt-4o',
    model_used: 'gpt-4o',
    provider_request_id: /^req_mock/,
    status: 'success',
    finish_reason: 'stop',
    input_tokens: 3720,
    output_tokens: 17,
    cache_read_tokens: 2048,
    cost_source: 'pricing_table',
    usage_source: 'provider',
    session_id: 'sess-1',
    metadata: { correlation_id: 'plain', operation: 'chat', stream: false, completion_id: /^chatcmpl-/ }
  })
  t.ok((plain?.cost_cents ?? 0) > 0)
  t.ok((plain?.latency_ms ?? -1) >= 0)
  t.notMatch(JSON.stringify(plain?.request_body), /sk-proj-secret/, 'secrets in bodies are redacted')
  t.match(JSON.stringify(plain?.response_body), /chat\.completion/)
  const streamed = traceOf(traces, 'streamed')
  t.match(streamed, { status: 'success', finish_reason: 'stop', input_tokens: 3720, output_text: /^Paris/ })
  t.ok(typeof streamed?.ttft_ms === 'number' && streamed.ttft_ms <= streamed.latency_ms, 'time to first token, within the latency')
  t.notOk(JSON.stringify(traces).includes('sk-proj-upstream'), 'the provider key is in no trace')
})

t.test('exactly one trace for each outcome: success, provider error, missing key, stall, truncation (client aborts: stream-faults.test.ts)', async (t) => {
  const h = await proxyHarness(t, { proxy: { timeouts: { idleMs: 300 } } })
  const send = async (id: string, payload: object, url = '/v1/chat/completions') =>
    await h.app.inject({ method: 'POST', url, headers: { ...h.headers, 'x-request-id': id }, payload })
  await send('ok', chat)
  h.upstreams.openai.next({ status: 500 })
  await send('5xx', chat)
  h.upstreams.anthropic.next({ status: 429 })
  await send('429', { ...chat, model: 'anthropic/claude-3-5-haiku' })
  await h.app.pulse.vault.remove(h.projectId, 'provider.openrouter')
  await send('nokey', { ...chat, model: 'openrouter/x/y' })
  h.upstreams.openai.next({ fault: { kind: 'stall', afterEvents: 2 } })
  await send('stall', { ...chat, stream: true })
  h.upstreams.anthropic.next({ fault: { kind: 'cut', afterEvents: 4 } })
  await send('cut', { model: 'claude-3-5-haiku', max_tokens: 5, stream: true, messages: [{ role: 'user', content: 'x' }] }, '/v1/messages')

  const traces = await h.traces()
  t.equal(traces.length, 6, 'six calls, six traces')
  const status = (id: string) => ({ status: traceOf(traces, id)?.status, cause: (traceOf(traces, id)?.error as { cause?: string } | undefined)?.cause })
  t.same(status('ok'), { status: 'success', cause: undefined })
  t.same(status('5xx'), { status: 'error', cause: 'provider_5xx' })
  t.same(status('429'), { status: 'error', cause: 'provider_rate_limited' })
  t.same(status('nokey'), { status: 'error', cause: undefined })
  t.same(status('stall'), { status: 'error', cause: 'provider_timeout' })
  t.same(status('cut'), { status: 'error', cause: 'provider_stream_truncated' })
  t.equal(traceOf(traces, 'cut')?.input_tokens, 3720, 'a truncated stream keeps the usage it saw')
})

t.test('a store that takes seconds never delays the response', async (t) => {
  // A traces repository whose writes wait until the test lets them go.
  let release: () => void = () => {}
  const gate = new Promise<void>((resolve) => { release = resolve })
  let writesStarted = 0
  class SlowTraces extends MemoryTraces {
    override async insertNew (records: TraceRecord[]) {
      writesStarted++
      await gate
      return await super.insertNew(records)
    }
  }
  const store = memoryStore()
  await store.repository('traces', { memory: () => new SlowTraces(), mongo: () => { throw new Error('memory only') } })
  const h = await proxyHarness(t, { store, traces: { queue: { batchSize: 1, flushIntervalMs: 1 } } })
  t.teardown(release)

  for (let i = 0; i < 3; i++) {
    const res = await h.app.inject({ method: 'POST', url: '/v1/chat/completions', headers: h.headers, payload: chat })
    t.equal(res.statusCode, 200, `call ${i}: answered while the store is stuck`)
    const s = await h.app.inject({ method: 'POST', url: '/v1/chat/completions', headers: h.headers, payload: { ...chat, stream: true } })
    t.match(s.body, /\[DONE\]/, `stream ${i}: complete while the store is stuck`)
  }
  await h.app.pulse.proxy.settled()
  t.ok(writesStarted >= 1, 'a write was under way (and stuck) the whole time')
  t.equal((await h.app.pulse.traces.list(h.projectId, { limit: 10, offset: 0 })).total, 0, 'nothing stored yet')
  release()
  const traces = await h.traces()
  t.equal(traces.length, 6, 'every trace stored once the store recovers')
})

t.test('a trace refused by a full queue is logged, never delays or fails the call', async (t) => {
  const h = await proxyHarness(t)
  const refused: RecordedTrace[] = []
  h.app.pulse.traces.record = (trace) => {
    refused.push(trace)
    return { accepted: false, reason: 'queue_full', message: 'full', retryable: true }
  }
  const res = await h.app.inject({ method: 'POST', url: '/v1/chat/completions', headers: h.headers, payload: chat })
  t.equal(res.statusCode, 200)
  await h.app.pulse.proxy.settled()
  t.equal(refused.length, 1)
  t.ok(h.logs.lines.some((l) => l.msg === 'pulse-proxy: a trace was refused'), 'logged')
})
