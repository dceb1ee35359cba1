import t, { type Test } from 'tap'
import OpenAI from 'openai'
import { createPulse, type DeliveryProblem, type PulseOptions } from '../../sdk/index.js'
import { startGateway, startPulseServer, type GatewayAction } from './helpers/pulse-server.js'
import { startMockUpstream } from './helpers/upstreams.js'

const messages = [{ role: 'user' as const, content: 'hi' }]

/** A pulse server behind a gateway, an SDK instance sending to the gateway, an observed OpenAI client. */
async function setup (t: Test, opts: Partial<PulseOptions> = {}, decide?: (traces: Array<{ trace_id: string }>, i: number) => GatewayAction) {
  const upstream = await startMockUpstream(t)
  const server = await startPulseServer(t)
  const gateway = await startGateway(t, server.url, decide)
  const problems: DeliveryProblem[] = []
  const pulse = createPulse({ apiKey: server.apiKey, apiUrl: gateway.url, flushInterval: 600_000, retryDelay: 1, onError: (p) => problems.push(p), ...opts })
  t.teardown(() => pulse.shutdown({ timeout: 1000 }))
  const client = pulse.observe(new OpenAI({ apiKey: 'sk', baseURL: `${upstream.origin}/v1`, maxRetries: 0 }))
  const call = (model = 'gpt-4o-mini', sessionId?: string) => sessionId === undefined
    ? client.chat.completions.create({ model, messages })
    : pulse.withContext({ sessionId }, () => client.chat.completions.create({ model, messages }))
  return { server, gateway, pulse, call, problems }
}

/** Resolved with a release function, for holding gateway requests. */
function gate () {
  let release!: () => void
  const held = new Promise<void>((resolve) => { release = resolve })
  return { held, release }
}

const turns = async (n: number) => { for (let i = 0; i < n; i++) await new Promise((resolve) => setImmediate(resolve)) }

t.test('flush() resolves only when the server has acknowledged every trace queued before it', async (t) => {
  const g = gate()
  t.teardown(g.release)
  const { gateway, server, pulse, call } = await setup(t, {}, (_traces, i) => (i === 0 ? { hold: g.held } : 'forward'))
  await call()
  await call()
  await call()
  let resolved = false
  const flushing = pulse.flush().then((r) => { resolved = true; return r })
  await gateway.received(1)
  await call('queued-after-flush')
  await turns(20)
  t.equal(resolved, false, 'the server has not answered yet: flush() is still waiting')
  t.equal(await server.total(), 0)
  g.release()
  const result = await flushing
  t.same(result, { acknowledged: 3, dropped: 0, pending: 0, timedOut: false })
  t.equal(await server.total(), 3, 'acknowledged means stored')
  t.match(pulse.stats(), { queued: 1, acknowledged: 3 }, 'the trace queued after flush() was not waited for')
})

t.test('a full batch is sent at once; a partial one on the interval', async (t) => {
  const full = await setup(t, { batchSize: 3 })
  await full.call()
  await full.call()
  t.equal(full.gateway.posts.length, 0)
  await full.call()
  await full.gateway.received(1)
  t.equal(full.gateway.posts[0]!.length, 3)

  const timed = await setup(t, { batchSize: 100, flushInterval: 20 })
  await timed.call()
  await timed.gateway.received(1)
  t.equal(timed.gateway.posts[0]!.length, 1, 'sent by the timer, no flush() called')
})

t.test('the queue is bounded: what does not fit is dropped and counted', async (t) => {
  const g = gate()
  t.teardown(g.release)
  const { pulse, call, gateway, server } = await setup(t, { batchSize: 2, maxQueue: 3, maxConcurrentRequests: 1 }, () => ({ hold: g.held }))
  await call()
  await call()
  await gateway.received(1) // two traces in flight
  await call() // queued: the queue holds 3
  await call()
  await call()
  t.match(pulse.stats(), { sending: 2, queued: 1, accepted: 3, dropped: 2, dropReasons: { queueFull: 2 } })
  g.release()
  t.match(await pulse.flush(), { acknowledged: 3 })
  t.equal(await server.total(), 3)
})

t.test('network failures never reach the app: retried, then counted as dropped', async (t) => {
  const upstream = await startMockUpstream(t)
  const problems: DeliveryProblem[] = []
  // Port 9 (discard) is closed on the test host: connection refused.
  const pulse = createPulse({ apiKey: 'pulse_sk_x', apiUrl: 'http://127.0.0.1:9', maxRetries: 2, retryDelay: 1, flushInterval: 600_000, onError: (p) => problems.push(p) })
  t.teardown(() => pulse.shutdown())
  const client = pulse.observe(new OpenAI({ apiKey: 'sk', baseURL: `${upstream.origin}/v1`, maxRetries: 0 }))
  const res = await client.chat.completions.create({ model: 'gpt-4o-mini', messages })
  t.equal(res.choices[0]!.message.content, 'Hello there!')
  await client.chat.completions.create({ model: 'gpt-4o-mini', messages })
  t.same(await pulse.flush(), { acknowledged: 0, dropped: 2, pending: 0, timedOut: false })
  t.match(pulse.stats(), { dropped: 2, dropReasons: { failed: 2 }, requests: 3, retries: 2, queued: 0, sending: 0 })
  t.match(problems, [{ kind: 'network', traces: 2 }])
  t.notOk(JSON.stringify(problems).includes('pulse_sk_x'), 'the API key is never in a problem report')
})

t.test('without onError, one process warning per kind of problem', async (t) => {
  const upstream = await startMockUpstream(t)
  const warnings: Error[] = []
  const onWarning = (w: Error) => { if (w.name === 'PulseSdkWarning') warnings.push(w) }
  process.on('warning', onWarning)
  t.teardown(() => { process.removeListener('warning', onWarning) })
  const pulse = createPulse({ apiKey: 'pulse_sk_x', apiUrl: 'http://127.0.0.1:9', maxRetries: 0, flushInterval: 600_000 })
  t.teardown(() => pulse.shutdown())
  const client = pulse.observe(new OpenAI({ apiKey: 'sk', baseURL: `${upstream.origin}/v1`, maxRetries: 0 }))
  await client.chat.completions.create({ model: 'gpt-4o-mini', messages })
  await pulse.flush()
  await client.chat.completions.create({ model: 'gpt-4o-mini', messages })
  await pulse.flush()
  await turns(5)
  t.equal(warnings.length, 1)
  t.match(warnings[0]!.message, /dropped 1 trace\(s\) \(network\)/)
})

t.test('5xx / 429 are retried (Retry-After honoured), then delivered', async (t) => {
  const { pulse, call, server, gateway } = await setup(t, {}, (_traces, i) => (i === 0
    ? { status: 503, headers: { 'retry-after': '0' } }
    : i === 1 ? { status: 429 } : 'forward'))
  await call()
  await call()
  t.same(await pulse.flush(), { acknowledged: 2, dropped: 0, pending: 0, timedOut: false })
  t.equal(gateway.posts.length, 3)
  t.match(pulse.stats(), { retries: 2, requests: 3, dropped: 0 })
  t.equal(await server.total(), 2)
})

t.test('a refused batch (401) is not retried', async (t) => {
  const { pulse, call, problems } = await setup(t, { apiKey: 'pulse_sk_' + 'x'.repeat(43) })
  await call()
  t.match(await pulse.flush(), { acknowledged: 0, dropped: 1 })
  t.match(pulse.stats(), { requests: 1, retries: 0, dropReasons: { rejected: 1 } })
  t.match(problems, [{ kind: 'http_401', status: 401 }])
})

t.test('413: the batch is split until it fits', async (t) => {
  const { pulse, call, server, gateway } = await setup(t, { batchSize: 5 }, (traces) => (traces.length > 2 ? { status: 413 } : 'forward'))
  for (let i = 0; i < 5; i++) await call()
  t.match(await pulse.flush(), { acknowledged: 5, dropped: 0 })
  t.equal(await server.total(), 5)
  t.same(gateway.posts.map((p) => p.length), [5, 3, 2, 1, 2], '5 → 3 + 2, 3 → 2 + 1')
})

t.test('400 naming one invalid trace: only that one is dropped', async (t) => {
  const { pulse, call, server, problems } = await setup(t, { batchSize: 3 })
  await call('ok-1')
  // The server caps session_id at 256 characters.
  await call('too-long-session', 's'.repeat(300))
  await call('ok-2')
  t.match(await pulse.flush(), { acknowledged: 2, dropped: 1 })
  t.same((await server.traces()).map((x) => x.model_requested).sort(), ['ok-1', 'ok-2'])
  t.match(pulse.stats(), { dropReasons: { rejected: 1 } })
  t.match(problems, [{ kind: 'http_400', traces: 1, message: /index 1/ }])
})

t.test('flush({ timeout }) gives up waiting, not the traces', async (t) => {
  const g = gate()
  t.teardown(g.release)
  const { pulse, call, server } = await setup(t, {}, () => ({ hold: g.held }))
  await call()
  await call()
  t.same(await pulse.flush({ timeout: 30 }), { acknowledged: 0, dropped: 0, pending: 2, timedOut: true })
  g.release()
  t.match(await pulse.flush(), { acknowledged: 2 })
  t.equal(await server.total(), 2)
})

t.test('shutdown() flushes, is idempotent; later calls still work and are counted as dropped', async (t) => {
  const { pulse, call, server } = await setup(t)
  await call()
  await call()
  const first = pulse.shutdown()
  t.equal(pulse.shutdown(), first, 'the same shutdown')
  t.match(await first, { acknowledged: 2 })
  t.equal(await server.total(), 2)
  const late = await call()
  t.equal(late.choices[0]!.message.content, 'Hello there!')
  t.match(pulse.stats(), { shutDown: true, open: 0, dropReasons: { shutdown: 1 } })
})
