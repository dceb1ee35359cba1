import t from 'tap'
import { anthropicProvider } from '../../../plugins/proxy/providers/anthropic.js'
import { customProvider } from '../../../plugins/proxy/providers/custom.js'
import { IncludeUsageMemory } from '../../../plugins/proxy/providers/include-usage.js'
import { openaiProvider } from '../../../plugins/proxy/providers/openai.js'
import { openrouterProvider } from '../../../plugins/proxy/providers/openrouter.js'
import { puterProvider } from '../../../plugins/proxy/providers/puter.js'
import type { CallContext } from '../../../plugins/proxy/providers/types.js'
import { fixtureJson } from '../../helpers/fixtures.js'

const ctx: CallContext = { model: 'gpt-4o', key: 'sk-secret-123456', requestId: 'req-1', injectIncludeUsage: true, now: 0 }
const chat = { model: 'openai/gpt-4o', messages: [{ role: 'user', content: 'hi' }] }

t.test('built-in base URLs, paths and bearer auth', async (t) => {
  const cases: Array<[ReturnType<typeof openaiProvider>, string]> = [
    [openaiProvider(), 'https://api.openai.com/v1/chat/completions'],
    [openrouterProvider(), 'https://openrouter.ai/api/v1/chat/completions'],
    [puterProvider(), 'https://api.puter.com/puterai/openai/v1/chat/completions'],
    [customProvider('local', { baseUrl: 'http://127.0.0.1:8080/v1/' }), 'http://127.0.0.1:8080/v1/chat/completions']
  ]
  for (const [adapter, url] of cases) {
    const req = adapter.transformRequest('chat', 'openai', chat, ctx)
    t.equal(req.url, url)
    t.equal(req.method, 'POST')
    t.equal(req.headers.authorization, 'Bearer sk-secret-123456')
    t.equal(req.headers['x-request-id'], 'req-1')
    t.equal(JSON.parse(req.body ?? '{}').model, 'gpt-4o', 'the routed model, prefix stripped')
    t.notOk(JSON.stringify(adapter).includes('sk-secret'), `${adapter.name} keeps no key`)
  }
  t.equal(anthropicProvider().transformRequest('models', 'openai', {}, ctx).url, 'https://api.anthropic.com/v1/models')
  const models = openaiProvider().transformRequest('models', 'openai', {}, ctx)
  t.equal(models.method, 'GET')
  t.equal(models.body, undefined)
})

t.test('puter: default model from seed 000; openrouter attribution headers', async (t) => {
  t.equal(puterProvider().defaultModel, 'claude-3-5-haiku-20241022')
  const req = openrouterProvider({ referer: 'https://app.example', title: 'Example' }).transformRequest('chat', 'openai', chat, ctx)
  t.equal(req.headers['http-referer'], 'https://app.example')
  t.equal(req.headers['x-title'], 'Example')
})

t.test('include_usage: injected for openai/openrouter/puter streams only, never overriding the client', async (t) => {
  for (const adapter of [openaiProvider(), openrouterProvider(), puterProvider()]) {
    t.equal(adapter.includeUsage, 'always', adapter.name)
    const s = adapter.transformRequest('chat', 'openai', { ...chat, stream: true, stream_options: { extra: 1 } }, ctx)
    t.same(JSON.parse(s.body ?? '{}').stream_options, { extra: 1, include_usage: true })
    t.equal(s.injectedIncludeUsage, true)
    t.equal(s.clientWantsUsage, false)
    t.equal(s.headers.accept, 'text/event-stream')
    const plain = adapter.transformRequest('chat', 'openai', chat, ctx)
    t.equal(JSON.parse(plain.body ?? '{}').stream_options, undefined, 'no stream, no stream_options')
    const asked = adapter.transformRequest('chat', 'openai', { ...chat, stream: true, stream_options: { include_usage: true } }, ctx)
    t.equal(asked.injectedIncludeUsage, false)
    t.equal(asked.clientWantsUsage, true)
  }
  const off = openaiProvider().transformRequest('chat', 'openai', { ...chat, stream: true }, { ...ctx, injectIncludeUsage: false })
  t.equal(JSON.parse(off.body ?? '{}').stream_options, undefined)
})

t.test('the chat body sent is the client\'s, byte for byte, with only the routed model and include_usage changed', async (t) => {
  // What a copy of the body with those two fields set would serialise to: the body is sent as
  // text built without that copy when it can be, and must not differ from it by one byte.
  const expected = (body: Record<string, unknown>, model: string, inject: boolean) => {
    const out: Record<string, unknown> = { ...body, model }
    if (inject) out.stream_options = { ...(body.stream_options as object | undefined), include_usage: true }
    return JSON.stringify(out)
  }
  const adapter = openaiProvider()
  const base = { model: 'gpt-4o', messages: [{ role: 'user', content: 'hi "there" \u2028' }], temperature: 0.5 }
  const cases: Array<[Record<string, unknown>, string, boolean]> = [
    [{ ...base, stream: true }, 'gpt-4o', true],
    [{ ...base, stream: true, max_tokens: 5 }, 'gpt-4o', true],
    [{ ...base, stream: true, stream_options: { extra: 1 } }, 'gpt-4o', true],
    [{ ...base, stream: true, stream_options: null }, 'gpt-4o', true],
    [{ ...base, stream: true, stream_options: { include_usage: true } }, 'gpt-4o', false],
    [{ ...base, stream: true }, 'gpt-4o-2024-08-06', true],
    [{ ...base, model: 'openai/gpt-4o', stream: true }, 'gpt-4o', true],
    [{ ...base, stream: false }, 'gpt-4o', false],
    [base, 'gpt-4o', false]
  ]
  for (const [body, model, inject] of cases) {
    const req = adapter.transformRequest('chat', 'openai', body, { ...ctx, model })
    t.equal(req.body, expected(body, model, inject), JSON.stringify(body))
    t.equal(req.injectedIncludeUsage, inject)
  }
  const off = adapter.transformRequest('chat', 'openai', { ...base, stream: true }, { ...ctx, injectIncludeUsage: false })
  t.equal(off.body, JSON.stringify({ ...base, stream: true }))
})

t.test('include_usage memory: auto mode retries once without it on 400/422 and remembers per base URL', async (t) => {
  const m = new IncludeUsageMemory()
  const custom = customProvider('local', { baseUrl: 'http://127.0.0.1:1/v1' })
  t.equal(custom.includeUsage, 'auto')
  t.equal(m.shouldInject('auto', custom.baseUrl), true)
  t.equal(m.shouldRetryWithout(400, true, 'auto'), true)
  t.equal(m.shouldRetryWithout(422, true, 'auto'), true)
  t.equal(m.shouldRetryWithout(500, true, 'auto'), false)
  t.equal(m.shouldRetryWithout(400, false, 'auto'), false, 'not injected: not our field')
  t.equal(m.shouldRetryWithout(400, true, 'always'), false)
  m.rememberRejected(custom.baseUrl)
  t.equal(m.shouldInject('auto', custom.baseUrl), false)
  t.equal(m.shouldInject('auto', 'http://other/v1'), true)
  t.equal(m.shouldInject('always', custom.baseUrl), true)
  t.equal(m.shouldInject('never', 'http://other/v1'), false)
  t.equal(customProvider('x', { baseUrl: 'http://x/v1', includeUsage: 'never' }).includeUsage, 'never')
})

t.test('non-streamed bodies pass through unchanged with usage extracted', async (t) => {
  const body = fixtureJson('openai/chat-completion.json')
  const r = openaiProvider().transformResponse('chat', 'openai', body, ctx)
  t.equal(r.body, body)
  t.equal(r.finishReason, 'stop')
  t.equal(r.id, 'chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG')
  t.same(r.usage, { inputTokens: 1117, outputTokens: 10, cacheReadTokens: 1024, cacheWriteTokens: 0, reasoningTokens: 0, totalTokens: 1127 })
  const or = openrouterProvider().transformResponse('chat', 'openai', fixtureJson('openrouter/chat-completion.json'), ctx)
  t.equal(or.usage?.providerCostCents, 0.0947, 'OpenRouter usage.cost USD → cents')
  t.equal(or.model, 'anthropic/claude-3.5-haiku')
  const emb = openaiProvider().transformResponse('embeddings', 'openai', fixtureJson('openai/embeddings.json'), ctx)
  t.same(emb.usage, { inputTokens: 8, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0, totalTokens: 8 })
})

t.test('model lists normalise', async (t) => {
  t.same(openaiProvider().listModels(fixtureJson('openai/models.json')), [
    { id: 'gpt-4o', created: 1715367049, ownedBy: 'system' },
    { id: 'text-embedding-3-small', created: 1705948997, ownedBy: 'system' }
  ])
  t.same(anthropicProvider().listModels(fixtureJson('anthropic/models.json')), [{ id: 'claude-3-5-haiku-20241022', ownedBy: 'anthropic', created: 1729555200 }])
  t.same(openaiProvider().listModels({ nope: true }), [])
})

t.test('operations a provider cannot serve are refused', async (t) => {
  t.notOk(openaiProvider().supports('messages', 'anthropic'))
  t.notOk(openaiProvider().supports('chat', 'anthropic'))
  t.notOk(anthropicProvider().supports('embeddings', 'openai'))
  t.throws(() => openaiProvider().transformRequest('messages', 'anthropic', {}, ctx), /does not serve/)
})
