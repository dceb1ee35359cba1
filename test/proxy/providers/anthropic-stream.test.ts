import t from 'tap'
import { anthropicProvider } from '../../../plugins/proxy/providers/anthropic.js'
import { events, feed, fixtureText } from '../../helpers/fixtures.js'

const anthropic = anthropicProvider()
const now = 1_741_570_283_000
const ctx = { model: 'claude-3-5-haiku-20241022', key: 'sk-ant-test', injectIncludeUsage: false, now }
const STREAM = fixtureText('anthropic/message-stream.sse')

function nativeStream () {
  const req = anthropic.transformRequest('messages', 'anthropic', { model: 'x', max_tokens: 100, stream: true, messages: [{ role: 'user', content: 'hi' }] }, ctx)
  return anthropic.createStream('anthropic', req, { requestId: 'req-a', now })
}

t.test('native passthrough: events unchanged, usage per Anthropic semantics (cache read/write apart)', async (t) => {
  const p = nativeStream()
  const fed = feed(p, STREAM, 9)
  t.equal(fed.last.done, true)
  t.same(events(fed.text), events(STREAM))
  const s = p.summary()
  t.equal(s.complete, true)
  t.equal(s.finishReason, 'tool_calls')
  t.equal(s.id, 'msg_01Aq9w938a90dw8qAnthrpc')
  t.equal(s.outputText, "I'll check the weather in Paris — ☕ first.")
  // input 472 uncached + 1200 written + 2048 read; output is message_delta's total, not 1 + 89.
  t.same(s.usage, { inputTokens: 3720, outputTokens: 89, cacheReadTokens: 2048, cacheWriteTokens: 1200, reasoningTokens: 0, totalTokens: 3809 })
})

t.test('message_delta output counts are cumulative: the last one wins, not their sum', async (t) => {
  const p = nativeStream()
  const ev = (type: string, body: object): string => `event: ${type}\ndata: ${JSON.stringify({ type, ...body })}\n\n`
  const text = ev('message_start', { message: { id: 'msg_1', model: 'm', usage: { input_tokens: 10, cache_read_input_tokens: 5, output_tokens: 1 } } }) +
    ev('message_delta', { delta: { stop_reason: null }, usage: { output_tokens: 20 } }) +
    ev('message_delta', { delta: { stop_reason: 'end_turn' }, usage: { output_tokens: 30, input_tokens: 10, cache_read_input_tokens: 5, cache_creation_input_tokens: 0 } }) +
    ev('message_stop', {})
  feed(p, text)
  t.same(p.summary().usage, { inputTokens: 15, outputTokens: 30, cacheReadTokens: 5, cacheWriteTokens: 0, reasoningTokens: 0, totalTokens: 45 })
})

t.test('cut before message_stop → Anthropic-format error event, never a clean end', async (t) => {
  const blocks = STREAM.split('\n\n').filter(Boolean).map((b) => b + '\n\n')
  for (const keep of [1, 5, blocks.length - 1]) {
    const p = nativeStream()
    const fed = feed(p, blocks.slice(0, keep).join(''), 4)
    t.equal(fed.last.fault?.cause, 'provider_stream_truncated')
    const last = events(fed.text).at(-1)
    t.equal(last?.event, 'error')
    const body = JSON.parse(last?.data ?? '{}') as { type: string, error: Record<string, unknown> }
    t.equal(body.type, 'error')
    t.equal(body.error.type, 'api_error')
    t.equal(body.error.code, 'PULSE_PROVIDER_STREAM_TRUNCATED')
    t.equal(body.error.correlationId, 'req-a')
    t.notOk(events(fed.text).some((e) => e.event === 'message_stop'))
    t.equal(p.summary().complete, false)
  }
})

t.test('malformed events and events before message_start are malformed', async (t) => {
  for (const bad of [
    'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_d\n\n',
    'event: content_block_delta\ndata: {"type":"content_block_delta"}\n\n'
  ]) {
    const p = nativeStream()
    const fed = feed(p, STREAM.split('\n\n').slice(0, 2).join('\n\n') + '\n\n' + bad)
    t.equal(fed.last.fault?.cause, 'provider_stream_malformed')
  }
  const p = nativeStream()
  t.equal(feed(p, 'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"x"}}\n\n').last.fault?.cause, 'provider_stream_malformed')
})

t.test('an upstream `event: error` (overloaded) ends the stream typed, keeping the type', async (t) => {
  const p = nativeStream()
  const fed = feed(p, STREAM.split('\n\n').slice(0, 3).join('\n\n') + '\n\nevent: error\ndata: {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}\n\n')
  t.equal(fed.last.fault?.cause, 'provider_stream_error')
  const body = JSON.parse(events(fed.text).at(-1)?.data ?? '{}') as { error: Record<string, unknown> }
  t.equal(body.error.type, 'overloaded_error')
  t.equal(body.error.message, 'anthropic: Overloaded')
})

t.test('unknown event types are passed on, not treated as errors', async (t) => {
  const p = nativeStream()
  const blocks = STREAM.split('\n\n').filter(Boolean).map((b) => b + '\n\n')
  const text = blocks[0] + 'event: future_thing\ndata: {"type":"future_thing"}\n\n' + blocks.slice(1).join('')
  const fed = feed(p, text)
  t.equal(fed.last.fault, undefined)
  t.ok(events(fed.text).some((e) => e.event === 'future_thing'))
})
