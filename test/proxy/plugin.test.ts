import t from 'tap'
import { ADMIN_KEY, bearer, build, createProject } from '../helpers/app.js'
import { proxyHarness } from '../helpers/proxy.js'
import { loadConfig, providersFromEnv } from '../../examples/config.js'

t.test('options: bad values fail ready() naming the option', async (t) => {
  await t.rejects(build(t, { providers: { mock: {} }, production: true, vault: { keys: ['k'.repeat(40)] } }), /providers\.mock.*refused in production/)
  await t.rejects(build(t, { providers: { ollama: {} } }), /proxy\.providers\.ollama\.baseUrl/)
  await t.rejects(build(t, { providers: { openai: { includeUsage: 'never' } } }), /providers\.openai\.includeUsage/)
  await t.rejects(build(t, { defaultProvider: 'anthropic' }), /defaultProvider/)
  await t.rejects(build(t, { proxy: { timeouts: { idleMs: 0 } } } as never), /proxy\.timeouts\.idleMs/)
  await t.rejects(build(t, { proxy: { nope: 1 } } as never), /proxy\.nope/)
})

t.test('the mock provider answers on the spot (npm start with PULSE_MOCK_PROVIDER=1)', async (t) => {
  const { app } = await build(t, { providers: { mock: {} } })
  const { apiKey } = await createProject(app)
  const res = await app.inject({ method: 'POST', url: '/v1/chat/completions', headers: bearer(apiKey), payload: { model: 'mock/mock-1', messages: [{ role: 'user', content: 'Hello' }] } })
  t.equal(res.statusCode, 200)
  t.equal(res.json().choices[0].message.content, 'Mock reply from mock-1: you said "Hello".')
  const s = await app.inject({ method: 'POST', url: '/v1/messages', headers: { 'x-api-key': apiKey }, payload: { model: 'mock/mock-1', max_tokens: 50, stream: true, messages: [{ role: 'user', content: 'Hello' }] } })
  t.match(s.body, /event: message_stop/)
})

t.test('example config: PULSE_MOCK_PROVIDER and PULSE_PROVIDER_<NAME>_BASE_URL', async (t) => {
  const c = loadConfig({ PULSE_MOCK_PROVIDER: '1', PULSE_PROVIDER_OPENAI_BASE_URL: 'http://127.0.0.1:9999/v1', PULSE_PROVIDER_OLLAMA_BASE_URL: 'http://127.0.0.1:11434/v1' })
  t.equal(c.mockProvider, true)
  t.same(c.providers.openai, { baseUrl: 'http://127.0.0.1:9999/v1' })
  t.same(c.providers.ollama, { baseUrl: 'http://127.0.0.1:11434/v1' })
  t.same(c.providers.mock, {})
  t.notOk(providersFromEnv({}, false).mock, 'no mock unless asked')
})

t.test('overhead: a header on every response, and the same figures in the histogram', async (t) => {
  const h = await proxyHarness(t)
  const payload = { model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }] }
  const figures: number[] = []
  for (const stream of [false, true]) {
    const res = await h.app.inject({ method: 'POST', url: '/v1/chat/completions', headers: h.headers, payload: { ...payload, stream } })
    const value = Number(res.headers['x-pulse-overhead-ms'])
    t.ok(Number.isFinite(value) && value >= 0, `stream ${stream}: x-pulse-overhead-ms = ${value}`)
    figures.push(value)
  }
  await h.app.pulse.proxy.settled()
  const m = h.app.pulse.proxy.metrics()
  t.equal(m.overhead.count, 2, 'one observation per call')
  t.equal(m.requests, 2)
  t.equal(m.streams, 1)
  t.same(m.byStatus, { success: 2 })
  t.ok((m.overhead.maxMs ?? -1) >= (figures[0] ?? 0) * 0.98, 'the non-streamed call\'s header figure is in the histogram')

  const metrics = await h.app.inject({ method: 'GET', url: '/v1/metrics', headers: { 'x-admin-key': ADMIN_KEY } })
  t.equal(metrics.statusCode, 200)
  t.equal(metrics.json().data.overhead.count, 2)
  const denied = await h.app.inject({ method: 'GET', url: '/v1/metrics', headers: h.headers })
  t.equal(denied.statusCode, 401, 'metrics are admin-only')
})

t.test('overheadHeader: false turns the header off', async (t) => {
  const h = await proxyHarness(t, { proxy: { overheadHeader: false } })
  const res = await h.app.inject({ method: 'POST', url: '/v1/chat/completions', headers: h.headers, payload: { model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }] } })
  t.equal(res.statusCode, 200)
  t.notOk(res.headers['x-pulse-overhead-ms'])
})

t.test('provider keys are read from the vault at most once per providerKeyCacheMs', async (t) => {
  const h = await proxyHarness(t, { proxy: { providerKeyCacheMs: 60_000 } })
  const vault = h.app.pulse.vault
  let reads = 0
  const original = vault.providerKey.bind(vault)
  vault.providerKey = async (projectId, provider) => { reads++; return await original(projectId, provider) }
  for (let i = 0; i < 5; i++) await h.app.inject({ method: 'POST', url: '/v1/chat/completions', headers: h.headers, payload: { model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }] } })
  t.equal(reads, 1)

  const uncached = await proxyHarness(t, { proxy: { providerKeyCacheMs: 0 } })
  let reads2 = 0
  const v2 = uncached.app.pulse.vault
  const orig2 = v2.providerKey.bind(v2)
  v2.providerKey = async (projectId, provider) => { reads2++; return await orig2(projectId, provider) }
  for (let i = 0; i < 3; i++) await uncached.app.inject({ method: 'POST', url: '/v1/chat/completions', headers: uncached.headers, payload: { model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }] } })
  t.equal(reads2, 3, '0: every call reads the vault (a rotated key is used at once)')
})
