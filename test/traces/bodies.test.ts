import t from 'tap'
import { bearer, build, createProject } from '../helpers/app.js'
import { makeTrace, postBatch } from '../helpers/traces.js'

const secrets = ['sk-proj-abcdefghijklmnopqrstuvwxyz123456', 'pulse_sk_supersecretvalue123', 'hunter2-password', 'session=abc123cookie']

t.test('bodies are stored with secret fields, headers and embedded keys redacted', async (t) => {
  const { app } = await build(t)
  const { apiKey } = await createProject(app)
  const trace = makeTrace({
    request_body: {
      model: 'gpt-4o',
      messages: [{ role: 'user', content: `my key is ${secrets[0]} please keep it` }],
      headers: { Authorization: `Bearer ${secrets[1]}`, 'x-api-key': secrets[0], Cookie: secrets[3], 'content-type': 'application/json' },
      api_key: secrets[0],
      user: { password: secrets[2], name: 'ada' },
      max_tokens: 100
    },
    response_body: { id: 'x', usage: { prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 }, access_token: 'tok-abc' },
    metadata: { apiKey: secrets[0], team: 'core' },
    error: { message: `upstream said Bearer ${secrets[1]}` }
  })
  t.equal((await postBatch(app, apiKey, [trace])).statusCode, 202)
  const res = await app.inject({ url: `/v1/traces/${trace.trace_id}`, headers: bearer(apiKey) })
  for (const s of secrets) t.notMatch(res.body, s, `${s.slice(0, 8)}… is not stored`)
  t.notMatch(res.body, 'tok-abc')
  const d = res.json().data
  t.equal(d.request_body.headers.Authorization, '[REDACTED]')
  t.equal(d.request_body.headers['content-type'], 'application/json', 'harmless headers stay')
  t.equal(d.request_body.max_tokens, 100, 'token counts are not secrets')
  t.equal(d.request_body.user.name, 'ada')
  t.match(d.request_body.messages[0].content, /^my key is \[REDACTED\] please keep it$/)
  t.same(d.response_body.usage, { prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 })
  t.equal(d.metadata.team, 'core')
})

t.test('each body is capped with a visible truncation marker', async (t) => {
  const { app } = await build(t, { traces: { maxBodyBytes: 2048 } })
  const { apiKey } = await createProject(app)
  const big = makeTrace({ request_body: { prompt: 'é'.repeat(5000) }, response_body: { ok: true }, output_text: 'y'.repeat(10_000) })
  await postBatch(app, apiKey, [big])
  const d = (await app.inject({ url: `/v1/traces/${big.trace_id}`, headers: bearer(apiKey) })).json().data
  t.equal(d.request_body._pulse_truncated, true)
  t.equal(d.request_body.original_bytes, Buffer.byteLength(JSON.stringify(big.request_body)))
  t.ok(Buffer.byteLength(d.request_body.preview) <= 2048, 'the preview fits the cap')
  t.match(d.request_body.preview, /^\{"prompt":"éé/)
  t.same(d.response_body, { ok: true }, 'a small body is untouched')
  t.ok(Buffer.byteLength(d.output_text) <= 2048 + 64)
  t.match(d.output_text, /…\[truncated by pulse-proxy: 10000 bytes\]$/)
})

t.test('captureBodies: false stores no bodies and no output text', async (t) => {
  const { app } = await build(t, { traces: { captureBodies: false } })
  const { apiKey } = await createProject(app)
  const trace = makeTrace({ request_body: { prompt: 'private' }, response_body: { text: 'private' }, output_text: 'private', input_tokens: 5 })
  await postBatch(app, apiKey, [trace])
  const res = await app.inject({ url: `/v1/traces/${trace.trace_id}`, headers: bearer(apiKey) })
  t.equal(res.statusCode, 200)
  t.notMatch(res.body, 'private')
  const d = res.json().data
  t.equal(d.request_body, undefined)
  t.equal(d.response_body, undefined)
  t.equal(d.output_text, undefined)
  t.equal(d.input_tokens, 5, 'the rest of the trace is kept')
})

t.test('record() applies the same redaction', async (t) => {
  const { app } = await build(t)
  const trace = { ...makeTrace({ request_body: { headers: { authorization: `Bearer ${secrets[1]}` } } }), project_id: 'P' }
  t.equal(app.pulse.traces.record(trace).accepted, true)
  await app.pulse.traces.flush()
  const stored = await app.pulse.traces.get('P', trace.trace_id)
  t.same(stored?.request_body, { headers: { authorization: '[REDACTED]' } })
})
