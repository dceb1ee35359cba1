import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import Anthropic from '@anthropic-ai/sdk'
import OpenAI from 'openai'
import t from 'tap'
import { anthropicProvider } from '../../../plugins/proxy/providers/anthropic.js'
import { openaiProvider } from '../../../plugins/proxy/providers/openai.js'
import type { ProviderAdapter, WireFormat } from '../../../plugins/proxy/providers/types.js'
import { feed, fixtureText } from '../../helpers/fixtures.js'

/**
 * The error events the pipeline writes must make the official SDKs fail loudly: a cut stream
 * read through `openai` or `@anthropic-ai/sdk` throws, it does not end as if complete.
 */

let body = ''
let server: Server
let baseURL = ''
t.before(async () => {
  server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' })
    res.end(body)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  baseURL = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`
})
t.teardown(async () => { await new Promise<void>((resolve) => server.close(() => resolve())) })

/** What the proxy would send for a given upstream stream text. */
function clientText (adapter: ProviderAdapter, client: WireFormat, upstream: string): string {
  const req = adapter.transformRequest(client === 'anthropic' ? 'messages' : 'chat', client,
    { model: 'm', max_tokens: 10, stream: true, messages: [{ role: 'user', content: 'x' }] }, { model: 'm', injectIncludeUsage: true, now: 0 })
  return feed(adapter.createStream(client, req, { requestId: 'req-sdk', now: 0 }), upstream, 11).text
}

const OPENAI_SSE = fixtureText('openai/chat-stream.sse')
const ANTHROPIC_SSE = fixtureText('anthropic/message-stream.sse')
const cut = (sse: string, keep: number): string => sse.split('\n\n').slice(0, keep).join('\n\n') + '\n\n'

async function readOpenAI (): Promise<string> {
  const client = new OpenAI({ apiKey: 'pulse_sk_test', baseURL, maxRetries: 0 })
  let text = ''
  const stream = await client.chat.completions.create({ model: 'm', stream: true, messages: [{ role: 'user', content: 'x' }] })
  for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? ''
  return text
}

async function readAnthropic (): Promise<string> {
  const client = new Anthropic({ apiKey: 'pulse_sk_test', baseURL: baseURL.replace(/\/v1$/, ''), maxRetries: 0 })
  let text = ''
  const stream = await client.messages.create({ model: 'm', max_tokens: 10, stream: true, messages: [{ role: 'user', content: 'x' }] })
  for await (const ev of stream) if (ev.type === 'content_block_delta' && ev.delta.type === 'text_delta') text += ev.delta.text
  return text
}

t.test('openai SDK: a clean stream completes; a cut one throws with our message', async (t) => {
  body = clientText(openaiProvider(), 'openai', OPENAI_SSE)
  t.equal(await readOpenAI(), 'The capital of France is Paris — café ☕.')
  body = clientText(openaiProvider(), 'openai', cut(OPENAI_SSE, 5))
  await t.rejects(readOpenAI(), /the stream ended before its terminal event/)
})

t.test('openai SDK reading a translated Anthropic stream: cut → throws', async (t) => {
  body = clientText(anthropicProvider(), 'openai', ANTHROPIC_SSE)
  t.equal(await readOpenAI(), "I'll check the weather in Paris — ☕ first.")
  body = clientText(anthropicProvider(), 'openai', cut(ANTHROPIC_SSE, 6))
  await t.rejects(readOpenAI(), /the stream ended before its terminal event/)
})

t.test('anthropic SDK: a clean stream completes; a cut one throws', async (t) => {
  body = clientText(anthropicProvider(), 'anthropic', ANTHROPIC_SSE)
  t.equal(await readAnthropic(), "I'll check the weather in Paris — ☕ first.")
  body = clientText(anthropicProvider(), 'anthropic', cut(ANTHROPIC_SSE, 6))
  await t.rejects(readAnthropic(), /the stream ended before its terminal event/)
})
