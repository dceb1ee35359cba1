import t from 'tap'
import { anthropicProvider } from '../../../plugins/proxy/providers/anthropic.js'
import { customProvider } from '../../../plugins/proxy/providers/custom.js'
import { IncludeUsageMemory } from '../../../plugins/proxy/providers/include-usage.js'
import { openaiProvider } from '../../../plugins/proxy/providers/openai.js'
import { openrouterProvider } from '../../../plugins/proxy/providers/openrouter.js'
import { fixtureJson } from '../../helpers/fixtures.js'
import { startMockUpstream, type MockUpstream } from '../../helpers/mock-upstreams.js'
import { relay } from '../../helpers/relay.js'

let openai: MockUpstream
let anthropic: MockUpstream
let openrouter: MockUpstream
t.before(async () => {
  openai = await startMockUpstream('openai')
  anthropic = await startMockUpstream('anthropic')
  openrouter = await startMockUpstream('openrouter')
})
t.teardown(async () => {
  await openai.close()
  await anthropic.close()
  await openrouter.close()
})

const messages = [{ role: 'user', content: 'hi' }]

t.test('429 with Retry-After → provider_rate_limited, retryable, delay read', async (t) => {
  openai.next({ status: 429, headers: { 'retry-after': '3' } })
  const out = await relay({ adapter: openaiProvider({ baseUrl: openai.baseUrl }), operation: 'chat', clientFormat: 'openai', body: { model: 'gpt-4o', messages }, model: 'gpt-4o', key: 'sk-abc' })
  t.equal(out.status, 429)
  t.equal(out.failure?.cause, 'provider_rate_limited')
  t.equal(out.failure?.retryable, true)
  t.equal(out.failure?.retryAfterMs, 3000)
  t.equal(out.failure?.providerType, 'requests')
})

t.test('401 from the provider: 502 for the client, no key in the message', async (t) => {
  openai.next({ status: 401 })
  const out = await relay({ adapter: openaiProvider({ baseUrl: openai.baseUrl }), operation: 'chat', clientFormat: 'openai', body: { model: 'gpt-4o', messages }, model: 'gpt-4o', key: 'sk-proj-abcdef1234567890' })
  t.equal(out.failure?.status, 502)
  t.equal(out.failure?.cause, 'provider_auth')
  t.notMatch(JSON.stringify(out.failure), /sk-proj/)
})

t.test('Anthropic 529 overloaded, through translation too', async (t) => {
  anthropic.next({ status: 529 })
  const out = await relay({ adapter: anthropicProvider({ baseUrl: anthropic.baseUrl }), operation: 'chat', clientFormat: 'openai', body: { model: 'anthropic/claude', messages }, model: 'claude', key: 'k' })
  t.equal(out.failure?.status, 503)
  t.equal(out.failure?.cause, 'provider_5xx')
  t.equal(out.failure?.providerType, 'overloaded_error')
  const sent = anthropic.requests.at(-1)
  t.equal(sent?.path, '/v1/messages')
  t.equal((sent?.body as { max_tokens: number }).max_tokens, 4096, 'max_tokens defaulted')
  t.equal(sent?.headers['anthropic-version'], '2023-06-01')
})

t.test('non-streamed, split into awkward writes: bodies arrive whole and translate', async (t) => {
  anthropic.next({ split: 'awkward', exchange: { text: 'Bonjour ☕', inputTokens: 30, outputTokens: 4, cacheReadTokens: 10, cacheWriteTokens: 5 } })
  const out = await relay({ adapter: anthropicProvider({ baseUrl: anthropic.baseUrl }), operation: 'chat', clientFormat: 'openai', body: { model: 'anthropic/claude', messages }, model: 'claude', key: 'k' })
  const body = out.result?.body as { choices: Array<{ message: { content: string } }>, usage: Record<string, unknown> }
  t.equal(body.choices[0]?.message.content, 'Bonjour ☕')
  t.same(body.usage, { prompt_tokens: 30, completion_tokens: 4, total_tokens: 34, prompt_tokens_details: { cached_tokens: 10, cache_write_tokens: 5 } })
})

t.test('OpenRouter: provider-reported cost preferred, in cents', async (t) => {
  openrouter.next({ exchange: { text: 'x', inputTokens: 10, outputTokens: 2, costUsd: 0.0125 } })
  const out = await relay({ adapter: openrouterProvider({ baseUrl: openrouter.baseUrl }), operation: 'chat', clientFormat: 'openai', body: { model: 'openrouter/openai/gpt-4o', messages }, model: 'openai/gpt-4o', key: 'k' })
  t.equal(out.result?.usage?.providerCostCents, 1.25)
  t.equal((openrouter.requests.at(-1)?.body as { model: string }).model, 'openai/gpt-4o')
})

t.test('embeddings and models against the mock', async (t) => {
  const adapter = openaiProvider({ baseUrl: openai.baseUrl })
  const e = await relay({ adapter, operation: 'embeddings', clientFormat: 'openai', body: { model: 'openai/text-embedding-3-small', input: 'hi' }, model: 'text-embedding-3-small', key: 'k' })
  t.equal(e.result?.usage?.inputTokens, 5)
  t.equal((openai.requests.at(-1)?.body as { model: string }).model, 'text-embedding-3-small')
  const m = await relay({ adapter, operation: 'models', clientFormat: 'openai', body: {}, model: '', key: 'k' })
  t.same(adapter.listModels(m.result?.body).map((x) => x.id), ['gpt-4o'])
  t.equal(openai.requests.at(-1)?.method, 'GET')
})

t.test('custom base URL, include_usage auto: a 400 is retried once without it, and the base URL is remembered', async (t) => {
  const memory = new IncludeUsageMemory()
  const adapter = customProvider('local', { baseUrl: openai.baseUrl })
  const body = { model: 'local/llama', stream: true, messages }
  openai.next({ status: 400, errorBody: fixtureJson('openai/error-400-stream-options.json') })
  const first = openai.requests.length
  const out = await relay({ adapter, operation: 'chat', clientFormat: 'openai', body, model: 'llama', key: 'k', memory })
  t.equal(out.status, 200)
  t.equal(out.summary?.complete, true)
  const [rejected, retried] = openai.requests.slice(first) as Array<{ body: Record<string, unknown> }>
  t.same(rejected?.body.stream_options, { include_usage: true })
  t.equal(retried?.body.stream_options, undefined)
  t.equal(memory.isRejected(adapter.baseUrl), true)
  const again = openai.requests.length
  await relay({ adapter, operation: 'chat', clientFormat: 'openai', body, model: 'llama', key: 'k', memory })
  t.equal(openai.requests.length - again, 1, 'one request, no more probing')
  t.equal((openai.requests.at(-1)?.body as Record<string, unknown>).stream_options, undefined)
})

t.test('include_usage auto: if the retry fails too, the field was not the cause and nothing is remembered', async (t) => {
  const memory = new IncludeUsageMemory()
  const adapter = customProvider('local', { baseUrl: openai.baseUrl })
  openai.next({ status: 400 })
  openai.next({ status: 400 })
  const out = await relay({ adapter, operation: 'chat', clientFormat: 'openai', body: { model: 'x', stream: true, messages }, model: 'x', key: 'k', memory })
  t.equal(out.failure?.status, 400)
  t.equal(memory.isRejected(adapter.baseUrl), false)
})

t.test('include_usage never retried for providers that always support it', async (t) => {
  const memory = new IncludeUsageMemory()
  openai.next({ status: 400 })
  const before = openai.requests.length
  const out = await relay({ adapter: openaiProvider({ baseUrl: openai.baseUrl }), operation: 'chat', clientFormat: 'openai', body: { model: 'x', stream: true, messages }, model: 'x', key: 'k', memory })
  t.equal(out.failure?.cause, 'provider_4xx')
  t.equal(openai.requests.length - before, 1)
})
