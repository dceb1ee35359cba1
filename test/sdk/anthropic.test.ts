import t from 'tap'
import Anthropic from '@anthropic-ai/sdk'
import { Stream } from '@anthropic-ai/sdk/streaming'
import { text } from './helpers/upstreams.js'
import { drain, mock, rig, thrown } from './helpers/setup.js'

const base = { max_tokens: 256, messages: [{ role: 'user' as const, content: 'hello' }] }
const MODEL = 'claude-3-5-haiku-20241022'

t.test('messages.create: the caller gets what the client returns; cache tokens, stop reason and cost in the trace', async (t) => {
  const r = await rig(t)
  const client = r.pulse.observe(r.anthropic())
  const got = await client.messages.create({ ...base, model: MODEL, system: 'be brief' })
  const expected = await r.anthropic().messages.create({ ...base, model: MODEL, system: 'be brief' })
  t.same(got, expected)
  await client.messages.create({ ...base, model: 'claude-max' }, mock('finish=max_tokens'))
  await client.messages.create({ ...base, model: 'claude-tool' }, mock('finish=tool_use'))

  await r.pulse.flush()
  const byModel = Object.fromEntries((await r.server.traces()).map((x) => [x.model_requested, x]))
  t.match(byModel[MODEL], {
    provider: 'anthropic',
    model_used: MODEL,
    provider_request_id: 'msg_mock1',
    // input_tokens counts every input token: 20 uncached + 10 cache reads + 5 cache writes.
    input_tokens: 35,
    cache_read_tokens: 10,
    cache_write_tokens: 5,
    output_tokens: 7,
    output_text: 'Hello from Claude',
    finish_reason: 'stop',
    status: 'success',
    usage_source: 'provider',
    cost_source: 'pricing_table',
    request_body: { system: 'be brief', max_tokens: 256 },
    response_body: { id: 'msg_mock1', stop_reason: 'end_turn' }
  })
  // claude-3-5-haiku: 20 × 80 + 10 × 8 (cache read) + 5 × 100 (cache write) + 7 × 400 cents per 1M.
  t.ok(Math.abs(byModel[MODEL]!.cost_cents! - 4980 / 1e6) < 1e-12, `cost_cents ${byModel[MODEL]!.cost_cents}`)
  t.equal(byModel['claude-max']!.finish_reason, 'length')
  t.equal(byModel['claude-tool']!.finish_reason, 'tool_calls')
  t.equal(byModel['claude-max']!.cost_source, 'none', 'an unknown model is not priced by guess')
  t.equal(byModel['claude-max']!.unpriced, true)
})

t.test('errors are traced and re-thrown unchanged', async (t) => {
  const r = await rig(t)
  const client = r.pulse.observe(r.anthropic())
  const err = await thrown(t, () => client.messages.create({ ...base, model: MODEL }, mock('status=400')))
  t.ok(err instanceof Anthropic.BadRequestError)
  const overloaded = await thrown(t, () => client.messages.create({ ...base, model: 'claude-busy', stream: true }, mock('status=529')))
  t.equal(overloaded.status, 529)
  await r.pulse.flush()
  const byModel = Object.fromEntries((await r.server.traces()).map((x) => [x.model_requested, x]))
  t.match(byModel[MODEL], { status: 'error', error: { status: 400, type: 'invalid_request_error', message: /mock failure 400/ } })
  t.match(byModel['claude-busy'], { status: 'error', error: { status: 529, type: 'overloaded_error' } })
})

t.test('a stream: events unchanged; output_tokens of message_delta is cumulative, not added up', async (t) => {
  const r = await rig(t)
  const client = r.pulse.observe(r.anthropic())
  const params = { ...base, model: MODEL, stream: true as const }
  const stream = await client.messages.create(params, mock('chunks=6;deltas=2'))
  t.equal(Object.getPrototypeOf(stream), Stream.prototype)
  const got = []
  for await (const event of stream) got.push(event)
  const expected = []
  for await (const event of await r.anthropic().messages.create(params, mock('chunks=6;deltas=2'))) expected.push(event)
  t.same(got, expected)
  t.equal(got.filter((e) => e.type === 'message_delta').length, 2, 'two message_delta events were sent (5, then 8)')

  await r.pulse.flush()
  const [trace] = await r.server.traces()
  t.match(trace, {
    status: 'success',
    provider_request_id: 'msg_mockstream',
    output_text: text(6),
    input_tokens: 35,
    output_tokens: 8,
    cache_read_tokens: 10,
    usage_source: 'provider',
    finish_reason: 'stop'
  })
  t.type(trace!.ttft_ms, 'number')
})

t.test('Anthropic stream helpers: messages.stream() events and finalMessage(), tee(), toReadableStream()', async (t) => {
  const r = await rig(t)
  const client = r.pulse.observe(r.anthropic())

  const helper = client.messages.stream({ ...base, model: 'claude-helper' }, mock('chunks=4'))
  let streamed = ''
  helper.on('text', (delta) => { streamed += delta })
  const final = await helper.finalMessage()
  t.equal(streamed, text(4))
  t.same(final.content, [{ type: 'text', text: text(4) }])
  t.equal(final.usage.output_tokens, 6)

  const teed = await client.messages.create({ ...base, model: 'claude-tee', stream: true }, mock('chunks=3'))
  const [a, b] = teed.tee()
  t.same(await Promise.all([drain(a), drain(b)]), [8, 8], 'both branches see every event (the client drops ping)')

  const piped = await client.messages.create({ ...base, model: 'claude-readable', stream: true }, mock('chunks=2'))
  const reader = piped.toReadableStream().getReader()
  let bytes = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    bytes += value.byteLength
  }
  t.ok(bytes > 0)

  await r.pulse.flush()
  const byModel = Object.fromEntries((await r.server.traces()).map((x) => [x.model_requested, x]))
  t.match(byModel['claude-helper'], { status: 'success', output_text: text(4), output_tokens: 6 })
  t.match(byModel['claude-tee'], { status: 'success', output_text: text(3) })
  t.match(byModel['claude-readable'], { status: 'success', output_text: text(2) })
  t.equal(r.pulse.stats().accepted, 3)
})

t.test('abort, break, cut and an aborted helper: one trace each, with what was read', async (t) => {
  const r = await rig(t)
  const client = r.pulse.observe(r.anthropic())

  const aborted = await client.messages.create({ ...base, model: 'claude-abort', stream: true }, mock('chunks=10'))
  let n = 0
  for await (const e of aborted) if (e.type === 'content_block_delta' && ++n === 2) aborted.controller.abort()

  const broken = await client.messages.create({ ...base, model: 'claude-break', stream: true }, mock('chunks=10'))
  let m = 0
  for await (const e of broken) if (e.type === 'content_block_delta' && ++m === 3) break

  const cut = await client.messages.create({ ...base, model: 'claude-cut', stream: true }, mock('chunks=10;cut=4'))
  const err = await thrown(t, () => drain(cut))
  t.ok(err instanceof Error)

  const helper = client.messages.stream({ ...base, model: 'claude-helper-abort' }, mock('chunks=10;hang=2'))
  helper.on('text', () => helper.abort())
  const helperErr = await thrown(t, () => helper.finalMessage())
  t.ok(helperErr instanceof Anthropic.APIUserAbortError)

  t.equal(r.pulse.stats().open, 0)
  await r.pulse.flush()
  const byModel = Object.fromEntries((await r.server.traces()).map((x) => [x.model_requested, x]))
  // Input usage came with message_start; output is an estimate since no message_delta arrived.
  t.match(byModel['claude-abort'], { status: 'cancelled', output_text: text(2), input_tokens: 35, usage_source: 'estimated' })
  t.match(byModel['claude-break'], { status: 'cancelled', output_text: text(3) })
  t.match(byModel['claude-cut'], { status: 'error', output_text: text(4) })
  t.match(byModel['claude-helper-abort'], { status: 'cancelled' })
  t.equal(r.pulse.stats().accepted, 4)
})
