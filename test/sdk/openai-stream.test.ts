import t from 'tap'
import OpenAI from 'openai'
import { Stream } from 'openai/streaming'
import { text } from './helpers/upstreams.js'
import { drain, mock, rig, thrown } from './helpers/setup.js'

const messages = [{ role: 'user' as const, content: 'tell me a story' }]

t.test('a stream comes back as the client\'s own Stream, chunks unchanged, traced with usage and ttft', async (t) => {
  const r = await rig(t)
  const client = r.pulse.observe(r.openai())
  const params = { model: 'gpt-4o-mini', messages, stream: true as const, stream_options: { include_usage: true } }
  const stream = await client.chat.completions.create(params, mock('chunks=5'))
  t.equal(Object.getPrototypeOf(stream), Stream.prototype, 'the client\'s Stream class')
  t.ok(stream.controller instanceof AbortController)
  const got = []
  for await (const chunk of stream) got.push(chunk)
  const expected = []
  for await (const chunk of await r.openai().chat.completions.create(params, mock('chunks=5'))) expected.push(chunk)
  t.same(got, expected)

  await r.pulse.flush()
  const [trace] = await r.server.traces()
  t.match(trace, {
    status: 'success',
    provider: 'openai',
    model_used: 'gpt-4o-mini-2024-07-18',
    provider_request_id: 'chatcmpl-mockstream',
    output_text: text(5),
    input_tokens: 12,
    output_tokens: 5,
    cache_read_tokens: 4,
    usage_source: 'provider',
    finish_reason: 'stop',
    cost_source: 'pricing_table',
    request_body: { stream: true, stream_options: { include_usage: true } },
    response_body: { choices: [{ message: { role: 'assistant', content: text(5) }, finish_reason: 'stop' }] }
  })
  t.type(trace!.ttft_ms, 'number')
  t.ok(trace!.ttft_ms! <= trace!.latency_ms, 'first token before the end')
  t.equal(r.pulse.stats().accepted, 1)
})

t.test('without include_usage the token counts are estimated, and say so', async (t) => {
  const r = await rig(t)
  const client = r.pulse.observe(r.openai())
  const stream = await client.chat.completions.create({ model: 'gpt-4o-mini', messages, stream: true }, mock('chunks=8'))
  await drain(stream)
  await r.pulse.flush()
  const [trace] = await r.server.traces()
  t.match(trace, { status: 'success', usage_source: 'estimated', output_tokens: Math.ceil(text(8).length / 4), output_text: text(8) })
  t.ok(trace!.input_tokens! > 0)
})

t.test('stream helpers still work: tee(), toReadableStream(), chat.completions.stream()', async (t) => {
  const r = await rig(t)
  const client = r.pulse.observe(r.openai())

  const teed = await client.chat.completions.create({ model: 'tee', messages, stream: true }, mock('chunks=4'))
  const [left, right] = teed.tee()
  const read = async (s: AsyncIterable<OpenAI.ChatCompletionChunk>) => {
    let out = ''
    for await (const c of s) out += c.choices[0]?.delta.content ?? ''
    return out
  }
  t.same(await Promise.all([read(left), read(right)]), [text(4), text(4)])

  const piped = await client.chat.completions.create({ model: 'readable', messages, stream: true }, mock('chunks=3'))
  const reader = piped.toReadableStream().getReader()
  const decoder = new TextDecoder()
  let lines = ''
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    lines += decoder.decode(value)
  }
  t.equal(lines.trim().split('\n').length, 5, 'role chunk + 3 content chunks + finish chunk as JSON lines')

  const runner = client.chat.completions.stream({ model: 'helper', messages }, mock('chunks=3'))
  let deltas = ''
  runner.on('content', (delta) => { deltas += delta })
  const final = await runner.finalChatCompletion()
  t.equal(final.choices[0]!.message.content, text(3))
  t.equal(deltas, text(3))

  await r.pulse.flush()
  const byModel = Object.fromEntries((await r.server.traces()).map((x) => [x.model_requested, x]))
  t.match(byModel.tee, { status: 'success', output_text: text(4) })
  t.match(byModel.readable, { status: 'success', output_text: text(3) })
  t.match(byModel.helper, { status: 'success', output_text: text(3), request_body: { stream: true } })
  t.equal(r.pulse.stats().accepted, 3, 'one trace per call, tee included')
})

t.test('controller.abort() mid-stream, breaking out of the loop, abort before reading: cancelled once each', async (t) => {
  const r = await rig(t)
  const client = r.pulse.observe(r.openai())

  const aborted = await client.chat.completions.create({ model: 'abort', messages, stream: true }, mock('chunks=10'))
  let n = 0
  for await (const chunk of aborted) {
    if (chunk.choices.length > 0 && ++n === 3) aborted.controller.abort()
  }

  const broken = await client.chat.completions.create({ model: 'break', messages, stream: true }, mock('chunks=10'))
  let m = 0
  for await (const chunk of broken) {
    if (chunk.choices.length > 0 && ++m === 3) break
  }

  const unread = await client.chat.completions.create({ model: 'unread', messages, stream: true }, mock('hang=1'))
  unread.controller.abort()
  t.equal(r.pulse.stats().open, 0, 'an aborted stream nobody reads is finished too')

  await r.pulse.flush()
  const byModel = Object.fromEntries((await r.server.traces()).map((x) => [x.model_requested, x]))
  // The role chunk plus two content chunks were read before the abort.
  t.match(byModel.abort, { status: 'cancelled', output_text: text(2), usage_source: 'estimated', error: { type: 'cancelled', message: /aborted/ } })
  t.match(byModel.break, { status: 'cancelled', output_text: text(2), error: { message: /stopped reading/ } })
  t.match(byModel.unread, { status: 'cancelled' })
  t.equal(r.pulse.stats().accepted, 3)
})

t.test('an upstream that cuts the stream: the client\'s error is re-thrown, the trace is an error with the partial text', async (t) => {
  const r = await rig(t)
  const client = r.pulse.observe(r.openai())
  const stream = await client.chat.completions.create({ model: 'cut', messages, stream: true }, mock('chunks=10;cut=3'))
  let seen = ''
  const err = await thrown(t, async () => {
    for await (const c of stream) seen += c.choices[0]?.delta.content ?? ''
  })
  const plain = await r.openai().chat.completions.create({ model: 'cut', messages, stream: true }, mock('chunks=10;cut=3'))
  const ref = await thrown(t, () => drain(plain))
  t.equal(err.constructor, ref.constructor, 'same error class as without the SDK')
  t.equal(err.message, ref.message)
  t.equal(seen, text(3))

  const incomplete = await client.chat.completions.create({ model: 'nofinish', messages, stream: true }, mock('chunks=2;nofinish=1'))
  await drain(incomplete) // the client ends quietly

  const failed = await thrown(t, () => client.chat.completions.create({ model: 'refused', messages, stream: true }, mock('status=500')))
  t.ok(failed instanceof OpenAI.InternalServerError)

  await r.pulse.flush()
  const byModel = Object.fromEntries((await r.server.traces()).map((x) => [x.model_requested, x]))
  t.match(byModel.cut, { status: 'error', output_text: text(3), error: { message: err.message } })
  t.match(byModel.nofinish, { status: 'error', output_text: text(2), error: { type: 'incomplete_stream' } })
  t.match(byModel.refused, { status: 'error', error: { status: 500 } })
  t.equal(r.pulse.stats().open, 0)
})
