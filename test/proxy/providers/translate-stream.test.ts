import t from 'tap'
import { anthropicProvider } from '../../../plugins/proxy/providers/anthropic.js'
import { events, feed, fixtureJson, fixtureText } from '../../helpers/fixtures.js'

const anthropic = anthropicProvider()
const now = 1_741_570_283_000
const STREAM = fixtureText('anthropic/message-stream.sse')

interface Chunk {
  id: string
  object: string
  created: number
  model: string
  choices: Array<{ index: number, delta: { role?: string, content?: string, tool_calls?: Array<{ index: number, id?: string, type?: string, function: { name?: string, arguments: string } }> }, finish_reason: string | null }>
  usage?: Record<string, unknown>
}

function translated (includeUsage: boolean, pieceSize?: number) {
  const body: Record<string, unknown> = { model: 'anthropic/claude', stream: true, messages: [{ role: 'user', content: 'weather?' }] }
  if (includeUsage) body.stream_options = { include_usage: true }
  const req = anthropic.transformRequest('chat', 'openai', body, { model: 'claude-3-5-haiku-20241022', key: 'k', injectIncludeUsage: true, now })
  const p = anthropic.createStream('openai', req, { requestId: 'req-t', now })
  return { p, fed: feed(p, STREAM, pieceSize), req }
}

t.test('Anthropic events → chat.completion.chunk events, ending with a usage chunk and [DONE]', async (t) => {
  const { p, fed, req } = translated(true, 6)
  t.notOk(JSON.parse(req.body ?? '{}').stream_options, 'no OpenAI-only field goes to Anthropic')
  const datas = events(fed.text).map((e) => e.data)
  t.equal(datas.at(-1), '[DONE]')
  const chunks = datas.slice(0, -1).map((d) => JSON.parse(d) as Chunk)
  t.ok(chunks.every((c) => c.object === 'chat.completion.chunk' && c.id === 'msg_01Aq9w938a90dw8qAnthrpc' && c.created === 1741570283 && c.model === 'claude-3-5-haiku-20241022'))
  t.same(chunks[0]?.choices[0]?.delta, { role: 'assistant', content: '' })
  const text = chunks.map((c) => c.choices[0]?.delta.content ?? '').join('')
  t.equal(text, "I'll check the weather in Paris — ☕ first.")
  const calls = chunks.flatMap((c) => c.choices[0]?.delta.tool_calls ?? [])
  t.same(calls[0], { index: 0, id: 'toolu_01A09q90qw90lq917835lq9', type: 'function', function: { name: 'get_weather', arguments: '' } })
  t.same(JSON.parse(calls.map((c) => c.function.arguments).join('')), { location: 'Paris, France', unit: 'celsius' })
  const finish = chunks.filter((c) => c.choices[0]?.finish_reason != null)
  t.equal(finish.length, 1)
  t.equal(finish[0]?.choices[0]?.finish_reason, 'tool_calls')
  const usage = chunks.at(-1)
  t.same(usage?.choices, [])
  t.same(usage?.usage, { prompt_tokens: 3720, completion_tokens: 89, total_tokens: 3809, prompt_tokens_details: { cached_tokens: 2048, cache_write_tokens: 1200 } })
  t.equal(p.summary().complete, true)
  t.equal(p.summary().finishReason, 'tool_calls')
})

t.test('without include_usage from the client, no usage chunk; usage still captured', async (t) => {
  const { p, fed } = translated(false)
  const chunks = events(fed.text).slice(0, -1).map((e) => JSON.parse(e.data) as Chunk)
  t.notOk(chunks.some((c) => c.usage !== undefined))
  t.equal(p.summary().usage?.inputTokens, 3720)
})

t.test('the same content as the non-streamed translation', async (t) => {
  const { fed } = translated(true, 1)
  const chunks = events(fed.text).slice(0, -1).map((e) => JSON.parse(e.data) as Chunk)
  const r = anthropic.transformResponse('chat', 'openai', fixtureJson('anthropic/message.json'), { model: 'claude-3-5-haiku-20241022', injectIncludeUsage: false, now })
  const body = r.body as { choices: Array<{ message: { content: string, tool_calls: Array<{ function: { arguments: string } }> } }>, usage: unknown }
  t.equal(chunks.map((c) => c.choices[0]?.delta.content ?? '').join(''), body.choices[0]?.message.content)
  t.same(JSON.parse(chunks.flatMap((c) => c.choices[0]?.delta.tool_calls ?? []).map((c) => c.function.arguments).join('')), JSON.parse(body.choices[0]?.message.tool_calls[0]?.function.arguments ?? ''))
  t.same(chunks.at(-1)?.usage, body.usage)
})

t.test('a cut Anthropic stream reaches an OpenAI client as an OpenAI-style error, without [DONE]', async (t) => {
  const req = anthropic.transformRequest('chat', 'openai', { model: 'x', stream: true, messages: [{ role: 'user', content: 'x' }] }, { model: 'claude', injectIncludeUsage: false, now })
  const p = anthropic.createStream('openai', req, { requestId: 'req-t', now })
  const fed = feed(p, STREAM.split('\n\n').slice(0, 6).join('\n\n') + '\n\n', 3)
  const last = events(fed.text).at(-1)
  t.equal(last?.event, undefined)
  const error = (JSON.parse(last?.data ?? '{}') as { error: Record<string, unknown> }).error
  t.equal(error.code, 'PULSE_PROVIDER_STREAM_TRUNCATED')
  t.notMatch(fed.text, /^data: \[DONE\]$/m)
})

t.test('ping becomes an SSE comment (keeps the client connection alive)', async (t) => {
  const { fed } = translated(false)
  t.match(fed.text, /\n\n: ping\n\n/)
})
