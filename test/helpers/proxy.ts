import type { AddressInfo } from 'node:net'
import type { FastifyInstance } from 'fastify'
import type { Test } from 'tap'
import type { PulseProxyOptions } from '../../plugins/pulse-proxy.js'
import type { TraceRecord } from '../../plugins/traces/store/store.js'
import { bearer, build, createProject, type BuildHooks, type Built } from './app.js'
import { startMockUpstream, type MockUpstream, type UpstreamKind } from './mock-upstreams.js'

export const UPSTREAM_KEYS = { openai: 'sk-proj-upstream-openai-0123456789', anthropic: 'sk-ant-upstream-0123456789abcdef', openrouter: 'sk-or-upstream-0123456789abcdef' }

export interface ProxyHarness extends Built {
  upstreams: Record<UpstreamKind, MockUpstream>
  projectId: string
  apiKey: string
  headers: Record<string, string>
  /** Every trace recorded so far for the project, oldest first, once in-flight calls handed theirs over. */
  traces: () => Promise<TraceRecord[]>
  /** A listening address (for real clients), started on first use. */
  listen: () => Promise<string>
}

/** Mock upstreams for openai, anthropic and openrouter, pulse-proxy pointed at them, a project with vault keys. */
export async function proxyHarness (t: Test, opts: PulseProxyOptions = {}, hooks: BuildHooks = {}): Promise<ProxyHarness> {
  const upstreams = {
    openai: await startMockUpstream('openai'),
    anthropic: await startMockUpstream('anthropic'),
    openrouter: await startMockUpstream('openrouter')
  }
  t.teardown(async () => { for (const u of Object.values(upstreams)) await u.close() })
  const built = await build(t, {
    providers: {
      openai: { baseUrl: upstreams.openai.baseUrl },
      anthropic: { baseUrl: upstreams.anthropic.baseUrl },
      openrouter: { baseUrl: upstreams.openrouter.baseUrl },
      mock: {}
    },
    ...opts
  }, hooks)
  const { app } = built
  const { projectId, apiKey } = await createProject(app)
  for (const [provider, key] of Object.entries(UPSTREAM_KEYS)) await app.pulse.vault.put(projectId, `provider.${provider}`, key)
  let address: string | undefined
  return {
    ...built,
    upstreams,
    projectId,
    apiKey,
    headers: bearer(apiKey),
    traces: async () => await tracesOf(app, projectId),
    listen: async () => {
      if (address === undefined) {
        await app.listen({ port: 0, host: '127.0.0.1' })
        address = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`
      }
      return address
    }
  }
}

export async function tracesOf (app: FastifyInstance, projectId: string): Promise<TraceRecord[]> {
  await app.pulse.proxy.settled()
  await app.pulse.traces.flush()
  const all: TraceRecord[] = []
  for (let offset = 0; ; offset += 100) {
    const { traces, total } = await app.pulse.traces.list(projectId, { limit: 100, offset })
    all.push(...traces)
    if (offset + 100 >= total) break
  }
  return all.reverse()
}

/** `data:` payloads and event names of an SSE body. */
export function sseEvents (text: string): Array<{ event?: string, data: string }> {
  return text.split(/\r?\n\r?\n/).filter((b) => b.trim() !== '' && !b.startsWith(':')).map((b) => {
    const lines = b.split(/\r?\n/)
    const event = lines.find((l) => l.startsWith('event: '))?.slice(7)
    const data = lines.filter((l) => l.startsWith('data: ')).map((l) => l.slice(6)).join('\n')
    return event === undefined ? { data } : { event, data }
  })
}

/** The trace of the call sent with `x-request-id: id` (traces of one millisecond have no order). */
export function traceOf (traces: TraceRecord[], id: string): TraceRecord | undefined {
  return traces.find((tr) => (tr.metadata as { correlation_id?: string } | undefined)?.correlation_id === id)
}
