import t from 'tap'
import OpenAI from 'openai'
import * as sdk from '../../sdk/index.js'
import { createPulse, initPulse, ObserveError } from '../../sdk/index.js'
import { startPulseServer } from './helpers/pulse-server.js'
import { startMockUpstream } from './helpers/upstreams.js'

const messages = [{ role: 'user' as const, content: 'hi' }]

t.test('options are validated and the bad one is named', async (t) => {
  const bad = (opts: Record<string, unknown>) => {
    try {
      createPulse(opts as sdk.PulseOptions)
    } catch (err) {
      return err as Error & { code: string }
    }
    throw new Error('no throw')
  }
  t.match(bad({}), { code: 'PULSE_BAD_OPTION', message: /"initPulse\.apiKey" is required/ })
  t.match(bad({ apiKey: 'k', batchSize: 0 }), { message: /"initPulse\.batchSize"/ })
  t.match(bad({ apiKey: 'k', batchSize: 101 }), { message: /"initPulse\.batchSize"/ })
  t.match(bad({ apiKey: 'k', flushInterval: 'soon' }), { message: /"initPulse\.flushInterval"/ })
  t.match(bad({ apiKey: 'k', maxQueue: -1 }), { message: /"initPulse\.maxQueue"/ })
  t.match(bad({ apiKey: 'k', enabled: 'yes' }), { message: /"initPulse\.enabled"/ })
  t.match(bad({ apiKey: 'k', apiUrl: 'ftp://example.com' }), { message: /"initPulse\.apiUrl" must be an absolute http\(s\) URL/ })
  t.match(bad({ apiKey: 'k', apiUrl: 'not a url' }), { message: /"initPulse\.apiUrl"/ })
  t.match(bad({ apiKey: 'k', flushEvery: 5 }), { message: /"initPulse\.flushEvery" is not a known option/ })
  t.match(bad({ apiKey: 'k', onError: 'log' }), { message: /"initPulse\.onError" must be a function/ })
  t.match(bad({ apiKey: 'k', handleSignals: ['TERM'] }), { message: /"initPulse\.handleSignals/ })
})

t.test('defaults', async (t) => {
  const pulse = createPulse({ apiKey: 'pulse_sk_test' })
  t.teardown(() => pulse.shutdown())
  t.match(pulse.options, {
    apiUrl: 'http://127.0.0.1:3000',
    batchSize: 10,
    flushInterval: 5000,
    maxQueue: 10_000,
    enabled: true,
    maxRetries: 3,
    captureBodies: true,
    flushOnExit: true,
    handleSignals: false
  })
  t.equal(pulse.options.ingestUrl.href, 'http://127.0.0.1:3000/v1/traces/batch')
  const mounted = createPulse({ apiKey: 'k', apiUrl: 'https://pulse.example.com/gateway/', enabled: false })
  t.equal(mounted.options.ingestUrl.href, 'https://pulse.example.com/gateway/v1/traces/batch', 'a mount path in apiUrl is kept')
})

t.test('enabled: false leaves clients untouched and sends nothing', async (t) => {
  const before = process.listenerCount('beforeExit')
  const pulse = createPulse({ enabled: false })
  const client = new OpenAI({ apiKey: 'sk', baseURL: 'http://127.0.0.1:9/v1' })
  const create = client.chat.completions.create
  t.equal(pulse.observe(client), client)
  t.equal(client.chat.completions.create, create)
  t.same(await pulse.flush(), { acknowledged: 0, dropped: 0, pending: 0, timedOut: false })
  t.equal(process.listenerCount('beforeExit'), before, 'no process listener when disabled')
  t.match(pulse.stats(), { enabled: false, accepted: 0 })
})

t.test('observe() refuses what it cannot instrument', async (t) => {
  const pulse = createPulse({ enabled: true, apiKey: 'k' })
  t.teardown(() => pulse.shutdown())
  t.throws(() => pulse.observe({ hello: 'world' }), ObserveError)
  t.throws(() => pulse.observe({ messages: {} }), { code: 'PULSE_SDK_OBSERVE' })
  t.throws(() => pulse.observe(new OpenAI({ apiKey: 'sk' }), 'bad provider!'), { code: 'PULSE_SDK_OBSERVE' })
  t.throws(() => pulse.observe(new OpenAI({ apiKey: 'sk' }), 'anthropic'), /no messages\.create/)
})

t.test('process listeners: beforeExit only; signal handlers only when asked, removed by shutdown', async (t) => {
  const exits = process.listenerCount('beforeExit')
  const terms = process.listenerCount('SIGTERM')
  const usr2 = process.listenerCount('SIGUSR2')
  const quiet = createPulse({ apiKey: 'k' })
  t.equal(process.listenerCount('SIGTERM'), terms, 'a library does not take signals by default')
  t.equal(process.listenerCount('beforeExit'), exits + 1)
  const loud = createPulse({ apiKey: 'k', handleSignals: ['SIGUSR2'], flushOnExit: false })
  t.equal(process.listenerCount('SIGUSR2'), usr2 + 1)
  await quiet.shutdown()
  await loud.shutdown()
  t.equal(process.listenerCount('beforeExit'), exits)
  t.equal(process.listenerCount('SIGUSR2'), usr2)
})

t.test('module-level observe/flush/stats use the default instance, resolved at each call', async (t) => {
  const upstream = await startMockUpstream(t)
  const server = await startPulseServer(t)
  const client = sdk.observe(new OpenAI({ apiKey: 'sk', baseURL: `${upstream.origin}/v1`, maxRetries: 0 }))
  t.equal(sdk.getPulse(), undefined)
  await client.chat.completions.create({ model: 'before-init', messages })
  t.same(await sdk.flush(), { acknowledged: 0, dropped: 0, pending: 0, timedOut: false })

  const other = createPulse({ apiKey: server.apiKey, apiUrl: server.url })
  t.teardown(() => other.shutdown())
  t.equal(sdk.getPulse(), undefined, 'createPulse() does not set the default')

  const pulse = initPulse({ apiKey: server.apiKey, apiUrl: server.url, flushInterval: 600_000 })
  t.teardown(() => sdk.shutdown())
  t.equal(sdk.getPulse(), pulse)
  await sdk.withContext({ sessionId: 'module-session' }, () => client.chat.completions.create({ model: 'after-init', messages }))
  t.match(sdk.stats(), { accepted: 1, open: 0 })
  t.match(await sdk.flush(), { acknowledged: 1 })
  const traces = await server.traces()
  t.same(traces.map((x) => x.model_requested), ['after-init'], 'the call before initPulse went untraced')
  t.equal(traces[0]!.session_id, 'module-session')
  t.equal(other.stats().accepted, 0)
})
