import t from 'tap'
import { DEFAULT_EXCHANGE } from '../helpers/mock-upstreams.js'
import { proxyHarness, sseEvents, UPSTREAM_KEYS } from '../helpers/proxy.js'

const chat = { model: 'gpt-4o', messages: [{ role: 'user', content: 'Capital of France?' }] }

t.test('POST /v1/chat/completions: the provider\'s own body, unchanged, with the vault key and correlation id upstream', async (t) => {
  const h = await proxyHarness(t)
  const res = await h.app.inject({ method: 'POST', url: '/v1/chat/completions', headers: { ...h.headers, 'x-request-id': 'corr-123' }, payload: chat })
  t.equal(res.statusCode, 200)
  const body = res.json()
  t.equal(body.object, 'chat.completion')
  t.equal(body.choices[0].message.content, DEFAULT_EXCHANGE.text)
  t.equal(body.system_fingerprint, 'fp_fc9f1d7035', 'provider-specific fields pass through')
  t.notOk('ok' in body, 'no envelope around a provider body')
  t.equal(res.headers['x-request-id'], 'corr-123')
  const up = h.upstreams.openai.requests.at(-1)
  t.equal(up?.path, '/v1/chat/completions')
  t.equal(up?.headers.authorization, `Bearer ${UPSTREAM_KEYS.openai}`, 'the project\'s vault key goes upstream')
  t.equal(up?.headers['x-request-id'], 'corr-123', 'the correlation id goes upstream')
  t.notMatch(JSON.stringify(up?.headers), h.apiKey, 'the caller\'s pulse key does not')
})

t.test('streaming chat: SSE, forwarded events, [DONE]', async (t) => {
  const h = await proxyHarness(t)
  h.upstreams.openai.next({ split: 'awkward' })
  const res = await h.app.inject({ method: 'POST', url: '/v1/chat/completions', headers: h.headers, payload: { ...chat, stream: true } })
  t.equal(res.statusCode, 200)
  t.match(res.headers['content-type'], /^text\/event-stream/)
  const events = sseEvents(res.body)
  t.equal(events.at(-1)?.data, '[DONE]')
  const text = events.slice(0, -1).map((e) => JSON.parse(e.data) as { choices: Array<{ delta: { content?: string } }> })
    .map((c) => c.choices[0]?.delta.content ?? '').join('')
  t.equal(text, DEFAULT_EXCHANGE.text, 'text reassembled across awkward TCP splits')
})

t.test('POST /v1/embeddings and GET /v1/models', async (t) => {
  const h = await proxyHarness(t)
  const emb = await h.app.inject({ method: 'POST', url: '/v1/embeddings', headers: h.headers, payload: { model: 'text-embedding-3-small', input: 'hello' } })
  t.equal(emb.statusCode, 200)
  t.same(emb.json().data[0].embedding, [0.1, -0.2, 0.3])
  t.equal(h.upstreams.openai.requests.at(-1)?.path, '/v1/embeddings')

  const all = await h.app.inject({ method: 'GET', url: '/v1/models', headers: h.headers })
  t.equal(all.statusCode, 200)
  const ids = (all.json().data as Array<{ id: string }>).map((m) => m.id)
  t.ok(ids.includes('openai/gpt-4o'), 'openai models, routable ids')
  t.ok(ids.includes('anthropic/claude-3-5-haiku-20241022'), 'anthropic models')
  t.ok(ids.includes('mock/mock-1'), 'mock models')
  t.equal(h.upstreams.anthropic.requests.at(-1)?.headers['x-api-key'], UPSTREAM_KEYS.anthropic)

  const one = await h.app.inject({ method: 'GET', url: '/v1/models?provider=anthropic', headers: h.headers })
  t.same((one.json().data as Array<{ id: string }>).map((m) => m.id), ['claude-3-5-haiku-20241022'])
})

t.test('POST /v1/messages: Anthropic native, streaming and not', async (t) => {
  const h = await proxyHarness(t)
  const payload = { model: 'claude-3-5-haiku-20241022', max_tokens: 100, messages: [{ role: 'user', content: 'hi' }] }
  const res = await h.app.inject({ method: 'POST', url: '/v1/messages', headers: { ...h.headers, 'anthropic-beta': 'prompt-caching-2024-07-31' }, payload })
  t.equal(res.statusCode, 200)
  t.equal(res.json().type, 'message')
  t.equal(res.json().usage.cache_read_input_tokens, 2048)
  const up = h.upstreams.anthropic.requests.at(-1)
  t.equal(up?.headers['x-api-key'], UPSTREAM_KEYS.anthropic)
  t.equal(up?.headers['anthropic-beta'], 'prompt-caching-2024-07-31', 'anthropic-beta forwarded')
  t.equal(up?.headers['anthropic-version'], '2023-06-01')

  h.upstreams.anthropic.next({ split: 'awkward', crlf: true })
  const s = await h.app.inject({ method: 'POST', url: '/v1/messages', headers: h.headers, payload: { ...payload, stream: true } })
  const events = sseEvents(s.body)
  t.equal(events[0]?.event, 'message_start')
  t.equal(events.at(-1)?.event, 'message_stop')
})

t.test('translation: model "anthropic/…" on /chat/completions answers in OpenAI format', async (t) => {
  const h = await proxyHarness(t)
  const res = await h.app.inject({ method: 'POST', url: '/v1/chat/completions', headers: h.headers, payload: { ...chat, model: 'anthropic/claude-3-5-haiku-20241022', messages: [{ role: 'system', content: 'Be brief' }, ...chat.messages] } })
  t.equal(res.statusCode, 200)
  const body = res.json()
  t.equal(body.object, 'chat.completion')
  t.equal(body.choices[0].message.content, DEFAULT_EXCHANGE.text)
  t.equal(body.choices[0].finish_reason, 'stop')
  t.equal(body.usage.prompt_tokens, DEFAULT_EXCHANGE.inputTokens)
  const up = h.upstreams.anthropic.requests.at(-1)
  t.equal(up?.path, '/v1/messages')
  t.match(up?.body, { system: 'Be brief', max_tokens: 4096, model: 'claude-3-5-haiku-20241022' })
})

t.test('BYOK: the caller\'s session key wins over the vault', async (t) => {
  const h = await proxyHarness(t)
  const session = await h.app.inject({ method: 'POST', url: '/v1/auth/session', headers: h.headers, payload: { provider: 'openai', apiKey: 'sk-byok-user-key-0123456789abcdef' } })
  t.equal(session.statusCode, 201)
  const cookie = String(session.headers['set-cookie']).split(';')[0] ?? ''
  const res = await h.app.inject({ method: 'POST', url: '/v1/chat/completions', headers: { cookie, origin: 'http://x' }, payload: chat })
  // Cookie sessions may not POST from an origin that is not allowed (CSRF); reading needs none.
  t.equal(res.statusCode, 403)
  const models = await h.app.inject({ method: 'GET', url: '/v1/models?provider=openai', headers: { cookie } })
  t.equal(models.statusCode, 200)
  t.equal(h.upstreams.openai.requests.at(-1)?.headers.authorization, 'Bearer sk-byok-user-key-0123456789abcdef')
})

t.test('BYOK session key on chat, with an allowed origin', async (t) => {
  const h = await proxyHarness(t, { auth: { session: { allowedOrigins: ['https://app.example'] } } })
  const session = await h.app.inject({ method: 'POST', url: '/v1/auth/session', headers: h.headers, payload: { provider: 'anthropic', apiKey: 'sk-ant-byok-0123456789abcdef' } })
  const cookie = String(session.headers['set-cookie']).split(';')[0] ?? ''
  const res = await h.app.inject({ method: 'POST', url: '/v1/chat/completions', headers: { cookie, origin: 'https://app.example' }, payload: { ...chat, model: 'anthropic/claude-3-5-haiku-20241022' } })
  t.equal(res.statusCode, 200)
  t.equal(h.upstreams.anthropic.requests.at(-1)?.headers['x-api-key'], 'sk-ant-byok-0123456789abcdef')
})

t.test('a missing provider key is a 4xx envelope naming the provider', async (t) => {
  const h = await proxyHarness(t)
  await h.app.pulse.vault.remove(h.projectId, 'provider.openrouter')
  const res = await h.app.inject({ method: 'POST', url: '/v1/chat/completions', headers: h.headers, payload: { ...chat, model: 'openrouter/openai/gpt-4o' } })
  t.equal(res.statusCode, 400)
  t.equal(res.json().ok, false)
  t.equal(res.json().error.code, 'PULSE_PROVIDER_KEY_MISSING')
  t.match(res.json().error.message, /openrouter/)
  t.match(res.json().error.message, /provider\.openrouter/)
  t.equal(h.upstreams.openrouter.requests.length, 0, 'nothing sent upstream')
})

t.test('routing errors: unconfigured built-in, unsupported operation, invalid body', async (t) => {
  const h = await proxyHarness(t, { providers: { openai: {} } })
  const a = await h.app.inject({ method: 'POST', url: '/v1/chat/completions', headers: h.headers, payload: { ...chat, model: 'anthropic/claude-3-5-haiku' } })
  t.equal(a.statusCode, 400)
  t.equal(a.json().error.code, 'PULSE_PROVIDER_NOT_CONFIGURED')
  const b = await h.app.inject({ method: 'POST', url: '/v1/messages', headers: h.headers, payload: { model: 'openai/gpt-4o', max_tokens: 5, messages: [{ role: 'user', content: 'x' }] } })
  t.equal(b.statusCode, 400)
  t.match(b.json().error.code, /PULSE_PROVIDER_(UNSUPPORTED|NOT_CONFIGURED)/)
  const c = await h.app.inject({ method: 'POST', url: '/v1/chat/completions', headers: h.headers, payload: { model: 'gpt-4o' } })
  t.equal(c.statusCode, 400)
  t.equal(c.json().error.code, 'PULSE_VALIDATION')
  const d = await h.app.inject({ method: 'POST', url: '/v1/chat/completions', payload: chat })
  t.equal(d.statusCode, 401, 'auth required')
})

t.test('upstream errors: envelope with cause, status mapped, key never echoed', async (t) => {
  const h = await proxyHarness(t)
  h.upstreams.openai.next({ status: 429, headers: { 'retry-after': '7' } })
  const rl = await h.app.inject({ method: 'POST', url: '/v1/chat/completions', headers: h.headers, payload: chat })
  t.equal(rl.statusCode, 429)
  t.match(rl.json().error, { code: 'PULSE_PROVIDER_RATE_LIMITED', cause: 'provider_rate_limited', retryable: true })
  t.equal(rl.headers['retry-after'], '7')

  h.upstreams.openai.next({ status: 401 })
  const auth = await h.app.inject({ method: 'POST', url: '/v1/chat/completions', headers: h.headers, payload: chat })
  t.equal(auth.statusCode, 502)
  t.equal(auth.json().error.cause, 'provider_auth')
  t.notMatch(auth.body, /sk-proj/)

  h.upstreams.anthropic.next({ status: 529 })
  const over = await h.app.inject({ method: 'POST', url: '/v1/messages', headers: h.headers, payload: { model: 'claude-3-5-haiku', max_tokens: 5, messages: [{ role: 'user', content: 'x' }] } })
  t.equal(over.statusCode, 503)
  t.equal(over.json().error.cause, 'provider_5xx')

  h.upstreams.openai.next({ status: 400 })
  const bad = await h.app.inject({ method: 'POST', url: '/v1/chat/completions', headers: h.headers, payload: chat })
  t.equal(bad.statusCode, 400)
  t.equal(bad.json().error.cause, 'provider_4xx')
})

t.test('an unreachable upstream is a 502 network_error', async (t) => {
  const h = await proxyHarness(t, {
    providers: { openai: { baseUrl: 'http://127.0.0.1:9/v1' }, anthropic: {} },
    proxy: { timeouts: { headersMs: 200 } }
  })
  const res = await h.app.inject({ method: 'POST', url: '/v1/chat/completions', headers: h.headers, payload: chat })
  t.equal(res.statusCode, 502)
  t.equal(res.json().error.cause, 'network_error')
})

t.test('x-api-key with a pulse key authenticates (the Anthropic SDK sends its key there)', async (t) => {
  const h = await proxyHarness(t)
  const res = await h.app.inject({ method: 'POST', url: '/v1/messages', headers: { 'x-api-key': h.apiKey }, payload: { model: 'claude-3-5-haiku', max_tokens: 5, messages: [{ role: 'user', content: 'x' }] } })
  t.equal(res.statusCode, 200)
  const bad = await h.app.inject({ method: 'POST', url: '/v1/messages', headers: { 'x-api-key': 'pulse_sk_' + 'A'.repeat(43) }, payload: { model: 'claude-3-5-haiku', max_tokens: 5, messages: [{ role: 'user', content: 'x' }] } })
  t.equal(bad.statusCode, 401)
})
