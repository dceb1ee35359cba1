import t from 'tap'
import { openaiProvider } from '../../../plugins/proxy/providers/openai.js'
import { openrouterProvider } from '../../../plugins/proxy/providers/openrouter.js'
import type { ProviderAdapter, UpstreamRequest } from '../../../plugins/proxy/providers/types.js'
import { OUTPUT_TEXT_CAP } from '../../../plugins/proxy/stream/pipeline.js'
import { events, feed, fixtureText } from '../../helpers/fixtures.js'

const ctx = { model: 'gpt-4o', key: 'sk-test', injectIncludeUsage: true, now: 1_741_570_283_000 }

function streamRequest (adapter: ProviderAdapter, clientAsked: boolean): UpstreamRequest {
  const body: Record<string, unknown> = { model: 'gpt-4o', stream: true, messages: [{ role: 'user', content: 'hi' }] }
  if (clientAsked) body.stream_options = { include_usage: true }
  return adapter.transformRequest('chat', 'openai', body, ctx)
}

const openai = openaiProvider()
const STREAM = fixtureText('openai/chat-stream.sse')

t.test('passes events through and reads usage from the final chunk (client asked for it)', async (t) => {
  const req = streamRequest(openai, true)
  t.equal(req.injectedIncludeUsage, false, 'nothing to inject: the client asked itself')
  const p = openai.createStream('openai', req, { now: ctx.now })
  const fed = feed(p, STREAM)
  t.equal(fed.last.done, true)
  t.equal(fed.last.fault, undefined)
  t.same(events(fed.text).map((e) => e.data), events(STREAM).map((e) => e.data), 'client gets the upstream events unchanged')
  const s = p.summary()
  t.equal(s.complete, true)
  t.equal(s.finishReason, 'stop')
  t.equal(s.model, 'gpt-4o-2024-08-06')
  t.equal(s.outputText, 'The capital of France is Paris — café ☕.')
  t.same(s.usage, { inputTokens: 1117, outputTokens: 10, cacheReadTokens: 1024, cacheWriteTokens: 0, reasoningTokens: 0, totalTokens: 1127 })
})

t.test('the injected usage chunk is removed when the client did not ask, but usage is still captured', async (t) => {
  const req = streamRequest(openai, false)
  t.equal(req.injectedIncludeUsage, true)
  t.same(JSON.parse(req.body ?? '').stream_options, { include_usage: true })
  const p = openai.createStream('openai', req, { now: ctx.now })
  const fed = feed(p, STREAM, 7)
  const datas = events(fed.text).map((e) => e.data)
  t.equal(datas.length, events(STREAM).length - 1, 'exactly one event (the usage chunk) removed')
  t.notOk(datas.some((d) => d !== '[DONE]' && (JSON.parse(d) as { choices: unknown[] }).choices.length === 0), 'no usage-only chunk reaches the client')
  t.equal(datas.at(-1), '[DONE]')
  t.equal(p.summary().usage?.inputTokens, 1117)
})

t.test('first token is flagged once, on the first content', async (t) => {
  const p = openai.createStream('openai', streamRequest(openai, true), { now: ctx.now })
  const fed = feed(p, STREAM, 1)
  t.equal(fed.steps.filter((s) => s.firstToken === true).length, 1)
})

t.test('tool-call streams complete and count as content', async (t) => {
  const p = openai.createStream('openai', streamRequest(openai, true), { now: ctx.now })
  const fed = feed(p, fixtureText('openai/chat-stream-tool-call.sse'), 5)
  t.equal(p.summary().complete, true)
  t.equal(p.summary().finishReason, 'tool_calls')
  t.equal(fed.steps.filter((s) => s.firstToken === true).length, 1)
})

t.test('OpenRouter: comments are forwarded as heartbeats, cost is read in USD and kept in cents', async (t) => {
  const openrouter = openrouterProvider()
  const p = openrouter.createStream('openai', streamRequest(openrouter, false), { now: ctx.now })
  const fed = feed(p, fixtureText('openrouter/chat-stream.sse'), 3)
  t.match(fed.text, /^: OPENROUTER PROCESSING\n\n/)
  t.equal(p.summary().complete, true)
  t.same(p.summary().usage, { inputTokens: 194, outputTokens: 4, cacheReadTokens: 128, cacheWriteTokens: 0, reasoningTokens: 0, totalTokens: 198, providerCostCents: 0.0947 })
})

t.test('plain OpenAI never reads a `cost` field as money', async (t) => {
  const p = openai.createStream('openai', streamRequest(openai, true), { now: ctx.now })
  feed(p, fixtureText('openrouter/chat-stream.sse'))
  t.equal(p.summary().usage?.providerCostCents, undefined)
})

t.test('cut streams end with a typed error event, never a clean end', async (t) => {
  const all = STREAM.split('\n\n').filter(Boolean).map((e) => e + '\n\n')
  const cases: Array<[string, string, RegExp]> = [
    ['cut before [DONE] (after the usage chunk)', all.slice(0, -1).join(''), /finish_reason seen but no \[DONE\]/],
    ['cut mid-answer', all.slice(0, 4).join(''), /no finish_reason and no \[DONE\]/],
    ['cut mid-event', all.slice(0, 4).join('') + 'data: {"id":"chatcmpl-B9', /cut mid-event/],
    ['empty body', '', /no finish_reason/]
  ]
  for (const [name, text, detail] of cases) {
    const p = openai.createStream('openai', streamRequest(openai, true), { requestId: 'req-1', now: ctx.now })
    const fed = feed(p, text)
    t.equal(fed.last.done, true, name)
    t.equal(fed.last.fault?.cause, 'provider_stream_truncated', name)
    t.notMatch(fed.text, /^data: \[DONE\]$/m, `${name}: no clean terminal`)
    const last = events(fed.text).at(-1)
    const error = (JSON.parse(last?.data ?? '{}') as { error: Record<string, unknown> }).error
    t.equal(error.code, 'PULSE_PROVIDER_STREAM_TRUNCATED', name)
    t.equal(error.cause, 'provider_stream_truncated', name)
    t.equal(error.correlationId, 'req-1', name)
    t.match(String(error.message), detail, name)
    t.equal(p.summary().complete, false, name)
  }
})

t.test('[DONE] without any finish_reason is a truncation, not success', async (t) => {
  const p = openai.createStream('openai', streamRequest(openai, true), { now: ctx.now })
  const fed = feed(p, 'data: {"id":"x","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"a"},"finish_reason":null}]}\n\ndata: [DONE]\n\n')
  t.equal(fed.last.fault?.cause, 'provider_stream_truncated')
})

t.test('a malformed chunk stops the stream with a malformed error event', async (t) => {
  const all = STREAM.split('\n\n').filter(Boolean).map((e) => e + '\n\n')
  for (const bad of ['data: {"id":"chatcmpl-x","choices":[{"delta":{"content":"oo\n\n', 'data: [1,2]\n\n', 'data: {"id":"x"}\n\n']) {
    const p = openai.createStream('openai', streamRequest(openai, true), { now: ctx.now })
    const fed = feed(p, all.slice(0, 3).join('') + bad + all.slice(3).join(''))
    t.equal(fed.last.fault?.cause, 'provider_stream_malformed', bad)
    t.equal(fed.last.done, true)
    t.notMatch(fed.text, /^data: \[DONE\]$/m)
    t.equal(events(fed.text).length, 4, 'three good events, then the error; nothing after')
  }
})

t.test('an upstream error event mid-stream is reported typed', async (t) => {
  const p = openai.createStream('openai', streamRequest(openai, true), { now: ctx.now })
  const fed = feed(p, STREAM.split('\n\n').slice(0, 2).join('\n\n') + '\n\ndata: {"error":{"message":"Rate limit reached","type":"rate_limit_exceeded"}}\n\n')
  t.equal(fed.last.fault?.cause, 'provider_rate_limited')
  const error = (JSON.parse(events(fed.text).at(-1)?.data ?? '{}') as { error: Record<string, unknown> }).error
  t.equal(error.code, 'PULSE_PROVIDER_RATE_LIMITED')
  t.match(String(error.message), /^openai: Rate limit reached/)
})

t.test('fail() (stall, network) emits one error event; nothing after the end', async (t) => {
  const p = openai.createStream('openai', streamRequest(openai, true), { now: ctx.now })
  p.push(STREAM.slice(0, 300))
  const out = p.fail({ cause: 'provider_timeout', code: 'PULSE_PROVIDER_TIMEOUT', message: 'openai: stalled', retryable: true })
  t.match(out, /^data: \{"error":\{"type":"server_error","message":"openai: stalled","code":"PULSE_PROVIDER_TIMEOUT","cause":"provider_timeout"/)
  t.equal(p.fail({ cause: 'network_error', code: 'X', message: 'x', retryable: true }), '', 'a second failure writes nothing')
  t.same(p.push(STREAM.slice(300)), { out: '', done: true })
  t.equal(p.summary().fault?.cause, 'provider_timeout')
})

t.test('unchanged events pass through as the upstream\'s own bytes, at any split; CR framing mid-stream is re-encoded', async (t) => {
  // The fixture's usage chunk stays (the client asked), so the client stream is the upstream's, byte for byte.
  for (const size of [undefined, 1, 7, 64]) {
    const p = openai.createStream('openai', streamRequest(openai, true), { now: ctx.now })
    const fed = feed(p, STREAM, size)
    t.equal(fed.text, STREAM.replace(/\n\n+/g, '\n\n'), `split ${size ?? 'none'}`)
    t.ok(fed.steps.some((s) => Buffer.isBuffer(s.out)), 'written as bytes, not re-encoded')
    t.equal(p.summary().complete, true)
  }
  // A comment, a multi-field event and CRLF after a few LF events: same events, same summary.
  const all = STREAM.split('\n\n').filter(Boolean).map((e) => e + '\n\n')
  const mixed = all.slice(0, 2).join('') + ': keep-alive\n\nid: 7\n' + all[2] + all.slice(3).join('').replace(/\n/g, '\r\n')
  for (const size of [undefined, 3]) {
    const p = openai.createStream('openai', streamRequest(openai, true), { now: ctx.now })
    const fed = feed(p, mixed, size)
    t.same(events(fed.text).map((e) => e.data), events(STREAM).map((e) => e.data), `split ${size ?? 'none'}: every event, in order`)
    t.match(fed.text, /^: keep-alive\n\n/m, 'comment forwarded')
    t.notMatch(fed.text, /\r/, 'client framing is LF')
    t.equal(p.summary().complete, true)
    t.equal(p.summary().outputText, 'The capital of France is Paris — café ☕.')
  }
  // A comment line with no blank line before the end is still forwarded, then the cut is reported.
  const p = openai.createStream('openai', streamRequest(openai, true), { now: ctx.now })
  const fed = feed(p, all.slice(0, 3).join('') + ': tail\n')
  t.match(fed.text, /: tail\n\n/)
  t.equal(fed.last.fault?.cause, 'provider_stream_truncated')
})

t.test('the traced output text is the whole answer, capped at OUTPUT_TEXT_CAP characters', async (t) => {
  const chunk = (delta: Record<string, unknown>, finish: string | null = null) =>
    `data: ${JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', model: 'gpt-4o', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`
  const answer = (pieces: string[]) => chunk({ role: 'assistant', content: '' }) + pieces.map((p) => chunk({ content: p })).join('') + chunk({}, 'stop') + 'data: [DONE]\n\n'
  // Pieces of every length, one of them empty, one across the cap.
  const pieces = Array.from({ length: 900 }, (_, i) => `${i}:${'é'.repeat(i % 70)};`)
  pieces.splice(3, 0, '')
  const whole = pieces.join('')
  t.ok(whole.length > OUTPUT_TEXT_CAP, `the answer is ${whole.length} characters`)
  const long = openai.createStream('openai', streamRequest(openai, true), { now: ctx.now })
  feed(long, answer(pieces), 997)
  t.equal(long.summary().outputText, whole.slice(0, OUTPUT_TEXT_CAP), 'capped, in order, nothing lost before the cap')
  t.equal(long.summary().outputText, whole.slice(0, OUTPUT_TEXT_CAP), 'the same when asked again')
  const short = openai.createStream('openai', streamRequest(openai, true), { now: ctx.now })
  feed(short, answer(pieces.slice(0, 40)), 13)
  t.equal(short.summary().outputText, pieces.slice(0, 40).join(''), 'under the cap: all of it')
})
