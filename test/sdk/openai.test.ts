import t from 'tap'
import OpenAI, { APIPromise } from 'openai'
import { mock, rig, thrown, UUID } from './helpers/setup.js'

const messages = [{ role: 'user' as const, content: 'hi' }]

t.test('chat.completions.create: the caller gets what the client returns; the trace has the Pulse fields', async (t) => {
  const r = await rig(t)
  const observed = r.pulse.observe(r.openai())
  const promise = observed.chat.completions.create({ model: 'gpt-4o-mini', messages })
  t.ok(promise instanceof APIPromise, 'the client\'s own APIPromise comes back')
  const got = await promise
  const expected = await r.openai().chat.completions.create({ model: 'gpt-4o-mini', messages })
  t.same(got, expected, 'same body as an unobserved client')
  t.same(r.upstream.requests[0]!.body, r.upstream.requests[1]!.body, 'the request upstream is untouched')

  const flushed = await r.pulse.flush()
  t.same(flushed, { acknowledged: 1, dropped: 0, pending: 0, timedOut: false })
  const [trace, ...rest] = await r.server.traces()
  t.equal(rest.length, 0)
  t.match(trace!.trace_id, UUID)
  t.match(trace, {
    provider: 'openai',
    model_requested: 'gpt-4o-mini',
    model_used: 'gpt-4o-mini-2024-07-18',
    provider_request_id: 'chatcmpl-mock1',
    input_tokens: 12,
    output_tokens: 3,
    cache_read_tokens: 4,
    output_text: 'Hello there!',
    finish_reason: 'stop',
    status: 'success',
    usage_source: 'provider',
    cost_source: 'pricing_table',
    request_body: { model: 'gpt-4o-mini', messages },
    response_body: { id: 'chatcmpl-mock1', object: 'chat.completion' }
  })
  // gpt-4o-mini: 8 uncached × 15 + 4 cached × 7.5 + 3 out × 60 cents per 1M tokens.
  t.ok(Math.abs(trace!.cost_cents! - 330 / 1e6) < 1e-12, `cost_cents ${trace!.cost_cents}`)
  t.ok(trace!.latency_ms >= 0)
  t.equal(trace!.ttft_ms, undefined, 'no ttft for a non-stream call')
  t.equal(trace!.error, undefined)
})

t.test('withResponse() and asResponse() still work and are traced', async (t) => {
  const r = await rig(t)
  const client = r.pulse.observe(r.openai())
  const { data, response, request_id: requestId } = await client.chat.completions.create({ model: 'gpt-4o-mini', messages }).withResponse()
  t.equal(data.choices[0]!.message.content, 'Hello there!')
  t.equal(response.status, 200)
  t.equal(requestId, 'req_mock')

  const raw = await client.chat.completions.create({ model: 'gpt-4o', messages }).asResponse()
  const body = await raw.json() as { id: string }
  t.equal(body.id, 'chatcmpl-mock1', 'the raw body is still the caller\'s to read')

  await r.pulse.flush()
  const traces = await r.server.traces()
  t.equal(traces.length, 2)
  const byModel = Object.fromEntries(traces.map((x) => [x.model_requested, x]))
  t.match(byModel['gpt-4o-mini'], { status: 'success', output_text: 'Hello there!', input_tokens: 12 })
  t.match(byModel['gpt-4o'], { status: 'success' })
  t.equal(byModel['gpt-4o']!.output_text, undefined, 'a raw response is traced without its body')
  t.equal(r.pulse.stats().open, 0)
})

t.test('tool calls: finish_reason normalised, tool calls in the response body', async (t) => {
  const r = await rig(t)
  const client = r.pulse.observe(r.openai())
  const res = await client.chat.completions.create({ model: 'gpt-4o-mini', messages }, mock('finish=tool_calls'))
  t.equal(res.choices[0]!.message.tool_calls?.length, 1)
  await r.pulse.flush()
  const [trace] = await r.server.traces()
  t.equal(trace!.finish_reason, 'tool_calls')
  t.equal(trace!.output_text, undefined)
  t.match(trace!.response_body, { choices: [{ message: { tool_calls: [{ id: 'call_1' }] } }] })
})

t.test('errors are traced and re-thrown unchanged', async (t) => {
  const r = await rig(t)
  const client = r.pulse.observe(r.openai())
  const err = await thrown(t, () => client.chat.completions.create({ model: 'gpt-4o-mini', messages }, mock('status=400')))
  const ref = await thrown(t, () => r.openai().chat.completions.create({ model: 'gpt-4o-mini', messages }, mock('status=400')))
  t.ok(err instanceof OpenAI.BadRequestError, 'the client\'s own error class')
  t.equal(err.message, ref.message)
  t.equal(err.status, 400)

  // A connection that cannot be made: the client's APIConnectionError, traced as an error.
  const dead = r.pulse.observe(new OpenAI({ apiKey: 'sk-test', baseURL: 'http://127.0.0.1:9/v1', maxRetries: 0 }))
  const conn = await thrown(t, () => dead.chat.completions.create({ model: 'gpt-4o', messages }))
  t.ok(conn instanceof OpenAI.APIConnectionError)

  // The caller aborting before the answer: cancelled, not an error.
  const ac = new AbortController()
  const pending = client.chat.completions.create({ model: 'gpt-4.1', messages }, { signal: ac.signal, ...mock('hang=0') })
  ac.abort()
  const aborted = await thrown(t, () => pending)
  t.ok(aborted instanceof OpenAI.APIUserAbortError)

  await r.pulse.flush()
  const byModel = Object.fromEntries((await r.server.traces()).map((x) => [x.model_requested, x]))
  t.match(byModel['gpt-4o-mini'], { status: 'error', error: { status: 400, message: /mock failure 400/, type: 'invalid_request_error' } })
  t.equal(byModel['gpt-4o-mini']!.output_text, undefined)
  t.match(byModel['gpt-4o'], { status: 'error', error: { name: 'APIConnectionError' } })
  t.match(byModel['gpt-4.1'], { status: 'cancelled', error: { type: 'cancelled' } })
  t.equal(r.pulse.stats().open, 0)
})

t.test('embeddings.create: result unchanged (base64 decoding included), vectors left out of the trace', async (t) => {
  const r = await rig(t)
  const client = r.pulse.observe(r.openai())
  const got = await client.embeddings.create({ model: 'text-embedding-3-small', input: ['a', 'b'] })
  const expected = await r.openai().embeddings.create({ model: 'text-embedding-3-small', input: ['a', 'b'] })
  t.same(Array.from(got.data[1]!.embedding), [0.25, -0.5, 0.75, 1])
  t.same(got, expected)
  await r.pulse.flush()
  const [trace] = await r.server.traces()
  t.match(trace, { provider: 'openai', model_requested: 'text-embedding-3-small', status: 'success', input_tokens: 16, cost_source: 'pricing_table' })
  t.same(trace!.response_body!.data, [{ object: 'embedding', index: 0, dimensions: 4 }, { object: 'embedding', index: 1, dimensions: 4 }])
  t.notOk(JSON.stringify(trace).includes('0.75'), 'no vector values stored')
})

t.test('sessions and metadata from observe() options and withContext()', async (t) => {
  const r = await rig(t)
  const client = r.pulse.observe(r.openai(), { sessionId: 'chat-1', metadata: { user: 'u1' } })
  await client.chat.completions.create({ model: 'gpt-4o-mini', messages })
  await r.pulse.withContext({ sessionId: 'chat-2', metadata: { step: 'summary' } }, () =>
    client.chat.completions.create({ model: 'gpt-4o', messages }))
  await r.pulse.flush()
  const byModel = Object.fromEntries((await r.server.traces()).map((x) => [x.model_requested, x]))
  t.match(byModel['gpt-4o-mini'], { session_id: 'chat-1', metadata: { user: 'u1' } })
  t.match(byModel['gpt-4o'], { session_id: 'chat-2', metadata: { user: 'u1', step: 'summary' } })
})

t.test('observing twice does not trace twice; other clients stay untouched', async (t) => {
  const r = await rig(t)
  const client = r.openai()
  r.pulse.observe(client)
  r.pulse.observe(client)
  const other = r.openai()
  const create = other.chat.completions.create
  await client.chat.completions.create({ model: 'gpt-4o-mini', messages })
  await other.chat.completions.create({ model: 'gpt-4o-mini', messages })
  t.equal(other.chat.completions.create, create)
  await r.pulse.flush()
  t.equal(await r.server.total(), 1)
})
