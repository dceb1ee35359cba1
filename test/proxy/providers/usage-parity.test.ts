import t from 'tap'
import { anthropicProvider } from '../../../plugins/proxy/providers/anthropic.js'
import { mockProvider } from '../../../plugins/proxy/providers/mock.js'
import { openaiProvider } from '../../../plugins/proxy/providers/openai.js'
import { openrouterProvider } from '../../../plugins/proxy/providers/openrouter.js'
import type { ProviderAdapter, Usage, WireFormat } from '../../../plugins/proxy/providers/types.js'
import { feed, fixtureJson, fixtureText } from '../../helpers/fixtures.js'
import { startMockUpstream, type Exchange, type MockUpstream, type UpstreamKind } from '../../helpers/mock-upstreams.js'
import { relay } from '../../helpers/relay.js'
import { rng } from '../../helpers/rng.js'

/**
 * The same exchange, streamed and not, through every provider and translation path, must give
 * identical token counts (cache reads and writes apart) and identical provider-reported cost.
 */

interface Path { name: string, kind: UpstreamKind, client: WireFormat, make: (baseUrl: string) => ProviderAdapter }
const PATHS: Path[] = [
  { name: 'openai', kind: 'openai', client: 'openai', make: (baseUrl) => openaiProvider({ baseUrl }) },
  { name: 'openrouter', kind: 'openrouter', client: 'openai', make: (baseUrl) => openrouterProvider({ baseUrl }) },
  { name: 'anthropic native', kind: 'anthropic', client: 'anthropic', make: (baseUrl) => anthropicProvider({ baseUrl }) },
  { name: 'anthropic → openai', kind: 'anthropic', client: 'openai', make: (baseUrl) => anthropicProvider({ baseUrl }) }
]

function exchange (seed: number): Exchange {
  const r = rng(seed)
  const int = (max: number): number => Math.floor(r() * max)
  const cacheRead = r() < 0.5 ? 0 : int(5000)
  const cacheWrite = r() < 0.5 ? 0 : int(3000)
  const x: Exchange = {
    text: ['Short.', 'Paris — café ☕ naïve 🇫🇷 résumé.', 'Several words in a row here, ok?', ''][int(4)] ?? 'x',
    inputTokens: cacheRead + cacheWrite + 1 + int(2000),
    outputTokens: 1 + int(900),
    cacheReadTokens: cacheRead,
    cacheWriteTokens: cacheWrite,
    costUsd: Math.round(r() * 1e6) / 1e8
  }
  if (x.text === '' || r() < 0.3) x.toolCall = { id: `call_${seed}`, name: 'lookup', arguments: { q: `seed ${seed}`, n: int(10) } }
  return x
}

const servers = new Map<UpstreamKind, MockUpstream>()
t.before(async () => {
  for (const kind of ['openai', 'anthropic', 'openrouter'] as const) servers.set(kind, await startMockUpstream(kind))
})
t.teardown(async () => {
  for (const s of servers.values()) await s.close()
})

async function usageOf (path: Path, x: Exchange, stream: boolean, askUsage: boolean): Promise<Usage | undefined> {
  const mock = servers.get(path.kind)
  if (mock === undefined) throw new Error('no mock')
  mock.next({ exchange: x, split: stream ? 'awkward' : undefined })
  const body: Record<string, unknown> = { model: 'm', messages: [{ role: 'user', content: 'q' }] }
  if (path.client === 'anthropic') body.max_tokens = 1000
  if (stream) body.stream = true
  if (stream && askUsage && path.client === 'openai') body.stream_options = { include_usage: true }
  const out = await relay({ adapter: path.make(mock.baseUrl), operation: path.client === 'anthropic' ? 'messages' : 'chat', clientFormat: path.client, body, model: 'm', key: 'k' })
  if (stream && out.summary?.complete !== true) throw new Error(`${path.name}: stream incomplete: ${out.summary?.fault?.message ?? ''}`)
  return stream ? out.summary?.usage : out.result?.usage
}

t.test('property: 25 random exchanges × every path × streamed / non-streamed', async (t) => {
  for (let seed = 1; seed <= 25; seed++) {
    const x = exchange(seed)
    for (const path of PATHS) {
      const plain = await usageOf(path, x, false, false)
      const streamedAsked = await usageOf(path, x, true, true)
      const streamedHidden = await usageOf(path, x, true, false)
      const label = `seed ${seed}, ${path.name}`
      if (plain === undefined) { t.fail(`${label}: no usage`); continue }
      t.same(streamedAsked, plain, `${label}: streamed (usage asked) = non-streamed`)
      t.same(streamedHidden, plain, `${label}: streamed (usage hidden) = non-streamed`)
      t.equal(plain.inputTokens, x.inputTokens, `${label}: input counts cached tokens once`)
      t.equal(plain.outputTokens, x.outputTokens, `${label}: output is the final total, not a sum`)
      t.equal(plain.cacheReadTokens, x.cacheReadTokens, `${label}: cache reads`)
      if (path.kind !== 'openai') t.equal(plain.cacheWriteTokens, x.cacheWriteTokens, `${label}: cache writes`)
      if (path.kind === 'openrouter') t.equal(plain.providerCostCents, Math.round((x.costUsd ?? 0) * 1e8) / 1e6, `${label}: cost in cents`)
      else t.equal(plain.providerCostCents, undefined, `${label}: no provider cost`)
    }
  }
})

t.test('recorded fixtures: streamed and non-streamed agree', async (t) => {
  const now = 1_741_570_283_000
  const req = (a: ProviderAdapter, client: WireFormat) => a.transformRequest(client === 'anthropic' ? 'messages' : 'chat', client,
    { model: 'm', stream: true, max_tokens: 10, messages: [{ role: 'user', content: 'x' }] }, { model: 'm', injectIncludeUsage: true, now })
  const cases: Array<[string, ProviderAdapter, WireFormat, string, string]> = [
    ['openai', openaiProvider(), 'openai', 'openai/chat-completion.json', 'openai/chat-stream.sse'],
    ['openrouter', openrouterProvider(), 'openai', 'openrouter/chat-completion.json', 'openrouter/chat-stream.sse'],
    ['anthropic native', anthropicProvider(), 'anthropic', 'anthropic/message.json', 'anthropic/message-stream.sse'],
    ['anthropic → openai', anthropicProvider(), 'openai', 'anthropic/message.json', 'anthropic/message-stream.sse']
  ]
  for (const [name, adapter, client, json, sse] of cases) {
    const op = client === 'anthropic' ? 'messages' : 'chat'
    const plain = adapter.transformResponse(op, client, fixtureJson(json), { model: 'm', injectIncludeUsage: false, now })
    const p = adapter.createStream(client, req(adapter, client), { now })
    feed(p, fixtureText(sse), 5)
    t.same(p.summary().usage, plain.usage, name)
    t.equal(p.summary().finishReason, plain.finishReason, `${name}: finish reason`)
  }
})

t.test('the in-process mock: both formats, streamed and not', async (t) => {
  const mock = mockProvider()
  for (const client of ['openai', 'anthropic'] as const) {
    const operation = client === 'anthropic' ? 'messages' : 'chat'
    const body = { model: 'mock-1', max_tokens: 50, messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Hello there' }] }
    const plain = await relay({ adapter: mock, operation, clientFormat: client, body, model: 'mock-1' })
    const streamed = await relay({ adapter: mock, operation, clientFormat: client, body: { ...body, stream: true }, model: 'mock-1' })
    t.same(streamed.summary?.usage, plain.result?.usage, client)
    t.ok((plain.result?.usage?.outputTokens ?? 0) > 0)
  }
})
