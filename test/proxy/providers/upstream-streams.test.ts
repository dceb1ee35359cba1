import t, { type Test } from 'tap'
import { anthropicProvider } from '../../../plugins/proxy/providers/anthropic.js'
import { openaiProvider } from '../../../plugins/proxy/providers/openai.js'
import { openrouterProvider } from '../../../plugins/proxy/providers/openrouter.js'
import type { ProviderAdapter, WireFormat } from '../../../plugins/proxy/providers/types.js'
import { events } from '../../helpers/fixtures.js'
import { DEFAULT_EXCHANGE, startMockUpstream, type MockUpstream, type Script, type UpstreamKind } from '../../helpers/mock-upstreams.js'
import { relay, type RelayOutput } from '../../helpers/relay.js'

/** Each path a stream can take: provider wire format → client format. */
interface Path { name: string, kind: UpstreamKind, client: WireFormat, make: (baseUrl: string) => ProviderAdapter }
const PATHS: Path[] = [
  { name: 'openai', kind: 'openai', client: 'openai', make: (baseUrl) => openaiProvider({ baseUrl }) },
  { name: 'openrouter', kind: 'openrouter', client: 'openai', make: (baseUrl) => openrouterProvider({ baseUrl }) },
  { name: 'anthropic (native)', kind: 'anthropic', client: 'anthropic', make: (baseUrl) => anthropicProvider({ baseUrl }) },
  { name: 'anthropic (translated to OpenAI)', kind: 'anthropic', client: 'openai', make: (baseUrl) => anthropicProvider({ baseUrl }) }
]

const servers = new Map<UpstreamKind, MockUpstream>()
t.before(async () => {
  for (const kind of ['openai', 'anthropic', 'openrouter'] as const) servers.set(kind, await startMockUpstream(kind))
})
t.teardown(async () => {
  for (const s of servers.values()) await s.close()
})

function server (kind: UpstreamKind): MockUpstream {
  const s = servers.get(kind)
  if (s === undefined) throw new Error('mock not started')
  return s
}

async function run (path: Path, script: Script, extra: Partial<Parameters<typeof relay>[0]> = {}): Promise<RelayOutput> {
  const mock = server(path.kind)
  mock.next(script)
  const body = path.client === 'anthropic'
    ? { model: 'claude-3-5-haiku-20241022', max_tokens: 256, stream: true, messages: [{ role: 'user', content: 'Capital of France?' }] }
    : { model: 'x/model', stream: true, messages: [{ role: 'user', content: 'Capital of France?' }] }
  return await relay({ adapter: path.make(mock.baseUrl), operation: path.client === 'anthropic' ? 'messages' : 'chat', clientFormat: path.client, body, model: 'test-model', key: 'sk-test-key-123456', requestId: 'req-relay', ...extra })
}

/** The last client event must be a typed error in the client's own format. */
function lastError (t: Test, path: Path, out: RelayOutput): Record<string, unknown> {
  const last = events(out.text).at(-1)
  if (path.client === 'anthropic') {
    t.equal(last?.event, 'error', 'Anthropic client gets event: error')
    t.notOk(events(out.text).some((e) => e.event === 'message_stop'), 'no message_stop')
    return (JSON.parse(last?.data ?? '{}') as { error: Record<string, unknown> }).error
  }
  t.notOk(events(out.text).some((e) => e.data === '[DONE]'), 'no [DONE]')
  return (JSON.parse(last?.data ?? '{}') as { error: Record<string, unknown> }).error
}

for (const path of PATHS) {
  t.test(`${path.name}: awkward splits and CRLF framing give a complete, exact stream`, async (t) => {
    for (const script of [{ split: 'awkward' as const }, { split: 'bytes' as const, crlf: true }, { split: 13 }]) {
      const out = await run(path, script)
      t.equal(out.status, 200)
      t.equal(out.summary?.complete, true, JSON.stringify(script))
      t.equal(out.summary?.fault, undefined)
      t.equal(out.summary?.outputText, DEFAULT_EXCHANGE.text, 'UTF-8 text intact across splits')
      t.equal(out.summary?.usage?.inputTokens, DEFAULT_EXCHANGE.inputTokens)
      t.equal(out.summary?.usage?.cacheReadTokens, DEFAULT_EXCHANGE.cacheReadTokens)
      t.equal(out.summary?.usage?.outputTokens, DEFAULT_EXCHANGE.outputTokens)
      t.ok(out.writes.length > 3, 'forwarded as it arrived, in many writes')
    }
    const received = server(path.kind).requests.at(-1)
    t.equal(received?.headers['x-request-id'], 'req-relay', 'correlation id passed upstream')
    if (path.kind === 'anthropic') t.equal(received?.headers['x-api-key'], 'sk-test-key-123456')
    else t.equal(received?.headers.authorization, 'Bearer sk-test-key-123456')
  })

  t.test(`${path.name}: a stream cut before its terminal event is a typed error, never a clean end`, async (t) => {
    for (const destroy of [false, true]) {
      const out = await run(path, { fault: { kind: 'cut', afterEvents: 5, destroy }, split: 'awkward' })
      const error = lastError(t, path, out)
      t.match(error.cause, destroy ? /provider_stream_truncated|network_error/ : /provider_stream_truncated/, `destroy=${destroy}`)
      t.equal(error.correlationId, 'req-relay')
      t.equal(out.summary?.complete, false)
      t.ok(out.summary?.fault)
    }
  })

  t.test(`${path.name}: a cut just before the very last event is still caught`, async (t) => {
    // role/start events, 7 text pieces, finish/usage/terminal events (see mock-upstreams.ts)
    const total = path.kind === 'anthropic' ? 14 : path.kind === 'openrouter' ? 12 : 11
    const out = await run(path, { fault: { kind: 'cut', afterEvents: total - 1 } })
    t.equal(lastError(t, path, out).cause, 'provider_stream_truncated')
  })

  t.test(`${path.name}: a malformed chunk ends the stream typed and aborts the upstream`, async (t) => {
    const out = await run(path, { fault: { kind: 'malformed', afterEvents: 4 }, split: 'awkward' })
    t.equal(lastError(t, path, out).cause, 'provider_stream_malformed')
    t.equal(out.aborted, true)
  })

  t.test(`${path.name}: an upstream error event mid-stream is passed on typed`, async (t) => {
    const out = await run(path, { fault: { kind: 'error-event', afterEvents: 4 } })
    const error = lastError(t, path, out)
    t.equal(error.cause, 'provider_stream_error')
    if (path.client === 'anthropic') t.equal(error.type, 'overloaded_error')
  })

  t.test(`${path.name}: a stall is ended by the idle timer with a timeout error; the mock sees the socket close`, async (t) => {
    const mock = server(path.kind)
    const before = mock.closedEarly
    const out = await run(path, { fault: { kind: 'stall', afterEvents: 4 } }, { idle: mock.stalled() })
    const error = lastError(t, path, out)
    t.equal(error.cause, 'provider_timeout')
    t.equal(error.code, 'PULSE_PROVIDER_TIMEOUT')
    t.equal(out.aborted, true)
    await mock.clientClosed(before)
    t.ok(mock.closedEarly > before, 'upstream noticed the abort')
  })

  t.test(`${path.name}: a client disconnect aborts the upstream request`, async (t) => {
    const mock = server(path.kind)
    const before = mock.closedEarly
    const out = await run(path, { fault: { kind: 'stall', afterEvents: 3 } }, { clientGone: mock.stalled() })
    await mock.clientClosed(before)
    t.ok(mock.closedEarly > before)
    t.equal(out.summary?.fault?.cause, 'client_abort', 'traced as a client abort')
  })
}
