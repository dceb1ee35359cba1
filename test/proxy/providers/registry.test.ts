import t from 'tap'
import { Value } from '@sinclair/typebox/value'
import { ProvidersOptions } from '../../../plugins/proxy/providers/options.js'
import { createProviderRegistry, ProviderConfigError, providerSecretName } from '../../../plugins/proxy/providers/registry.js'

const all = { openai: {}, anthropic: {}, openrouter: {}, puter: {}, mock: {}, ollama: { baseUrl: 'http://127.0.0.1:11434/v1', requiresKey: false } }

function configError (fn: () => unknown): ProviderConfigError | undefined {
  try { fn() } catch (err) { if (err instanceof ProviderConfigError) return err }
  return undefined
}

t.test('model routing: prefixes select the provider and are stripped; plain names go to openai', async (t) => {
  const r = createProviderRegistry(all, { production: false })
  const cases: Array<[string, string, string]> = [
    ['gpt-4o', 'openai', 'gpt-4o'],
    ['openai/gpt-4o', 'openai', 'gpt-4o'],
    ['anthropic/claude-3-5-haiku-20241022', 'anthropic', 'claude-3-5-haiku-20241022'],
    ['openrouter/openai/gpt-4o', 'openrouter', 'openai/gpt-4o'],
    ['openrouter/meta-llama/llama-3.1-8b-instruct:free', 'openrouter', 'meta-llama/llama-3.1-8b-instruct:free'],
    ['puter/gpt-4o-mini', 'puter', 'gpt-4o-mini'],
    ['puter', 'puter', 'claude-3-5-haiku-20241022'],
    ['puter/', 'puter', 'claude-3-5-haiku-20241022'],
    ['ollama/llama3.1:8b', 'ollama', 'llama3.1:8b'],
    ['mock/mock-1', 'mock', 'mock-1'],
    ['meta-llama/llama-3', 'openai', 'meta-llama/llama-3']
  ]
  for (const [model, provider, upstream] of cases) {
    const route = r.route(model, 'openai', 'chat')
    t.ok(route.ok, model)
    if (route.ok) {
      t.equal(route.provider.name, provider, `${model} → ${provider}`)
      t.equal(route.model, upstream, `${model} → model ${upstream}`)
      t.equal(route.requested, model)
    }
  }
})

t.test('Anthropic-format requests default to anthropic; openai cannot serve them', async (t) => {
  const r = createProviderRegistry(all, { production: false })
  const plain = r.route('claude-3-5-haiku-20241022', 'anthropic', 'messages')
  t.ok(plain.ok && plain.provider.name === 'anthropic')
  const mock = r.route('mock/mock-1', 'anthropic', 'messages')
  t.ok(mock.ok && mock.provider.name === 'mock', 'the mock speaks Anthropic format natively')
  const wrong = r.route('openai/gpt-4o', 'anthropic', 'messages')
  t.same(wrong.ok ? undefined : wrong.reason, 'unsupported_operation')
  const emb = r.route('anthropic/claude', 'openai', 'embeddings')
  t.same(emb.ok ? undefined : emb.reason, 'unsupported_operation')
})

t.test('a built-in provider that is not configured is an error, never a silent re-route', async (t) => {
  const r = createProviderRegistry({ openai: {} }, { production: false })
  const route = r.route('anthropic/claude-3-5-haiku', 'openai', 'chat')
  t.equal(route.ok, false)
  if (!route.ok) {
    t.equal(route.reason, 'provider_not_configured')
    t.equal(route.provider, 'anthropic')
    t.match(route.message, /anthropic is not configured/)
  }
  const none = createProviderRegistry({ anthropic: {} }, { production: false }).route('gpt-4o', 'openai', 'chat')
  t.same(none.ok ? undefined : none.reason, 'no_default_provider')
  const empty = r.route('  ', 'openai', 'chat')
  t.same(empty.ok ? undefined : empty.reason, 'missing_model')
  const bare = r.route('openai/', 'openai', 'chat')
  t.same(bare.ok ? undefined : bare.reason, 'missing_model')
})

t.test('defaultProvider moves plain names', async (t) => {
  const r = createProviderRegistry({ openrouter: {}, openai: {} }, { production: false, defaultProvider: 'openrouter' })
  const route = r.route('meta-llama/llama-3', 'openai', 'chat')
  t.ok(route.ok && route.provider.name === 'openrouter' && route.model === 'meta-llama/llama-3')
  t.match(configError(() => createProviderRegistry({ openai: {} }, { production: false, defaultProvider: 'openrouter' }))?.message ?? '', /defaultProvider/)
})

t.test('configuration mistakes name the option', async (t) => {
  const cases: Array<[Record<string, Record<string, unknown>>, RegExp]> = [
    [{ ollama: {} }, /"providers\.ollama\.baseUrl" is required/],
    [{ ollama: { baseUrl: 'not a url' } }, /"providers\.ollama\.baseUrl" must be an absolute URL/],
    [{ ollama: { baseUrl: 'ftp://x/v1' } }, /must be an http\(s\) URL/],
    [{ ollama: { baseUrl: 'https://user:pw@x/v1' } }, /must not carry credentials/],
    [{ openai: { includeUsage: 'never' } }, /"providers\.openai\.includeUsage" does not apply to the openai provider/],
    [{ mock: { baseUrl: 'http://127.0.0.1/v1' } }, /"providers\.mock\.baseUrl" does not apply/],
    [{ custom: { baseUrl: 'http://x/v1', version: '1' } }, /"providers\.custom\.version" does not apply to custom providers/]
  ]
  for (const [config, message] of cases) {
    t.match(configError(() => createProviderRegistry(config, { production: false }))?.message ?? 'no error', message)
  }
})

t.test('production refuses the mock provider and plain-http non-loopback base URLs', async (t) => {
  t.match(configError(() => createProviderRegistry({ mock: {} }, { production: true }))?.message ?? '', /"providers\.mock" is a development provider and is refused in production/)
  t.match(configError(() => createProviderRegistry({ vllm: { baseUrl: 'http://10.0.0.5:8000/v1' } }, { production: true }))?.message ?? '', /must use https in production/)
  t.ok(createProviderRegistry({ vllm: { baseUrl: 'http://127.0.0.1:8000/v1' } }, { production: true }).get('vllm'), 'loopback http is fine')
  t.ok(createProviderRegistry({ vllm: { baseUrl: 'http://10.0.0.5:8000/v1' } }, { production: false }).get('vllm'), 'outside production, http is fine')
})

t.test('the options schema: default is openai only; names are routing-safe', async (t) => {
  t.same(Value.Default(ProvidersOptions, undefined), { openai: {} })
  t.ok(Value.Check(ProvidersOptions, all))
  t.notOk(Value.Check(ProvidersOptions, { 'Bad/Name': {} }))
  t.notOk(Value.Check(ProvidersOptions, { openai: { apiKey: 'sk-x' } }), 'keys are never configuration')
  t.equal(providerSecretName('anthropic'), 'provider.anthropic')
})
