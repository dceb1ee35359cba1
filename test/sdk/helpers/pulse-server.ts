import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import Fastify, { type FastifyInstance } from 'fastify'
import type { Test } from 'tap'
import { request } from 'undici'
import { pulseProxy, type PulseProxyOptions } from '../../../plugins/pulse-proxy.js'
import type { StoredTrace } from '../../../plugins/traces/schemas.js'
import { ADMIN_KEY, createProject } from '../../helpers/app.js'

export interface PulseServer {
  app: FastifyInstance
  /** `http://127.0.0.1:port`, what the SDK's apiUrl gets. */
  url: string
  apiKey: string
  projectId: string
  /** Every stored trace of the project, through `GET /v1/traces` (paged), newest first. */
  traces(query?: Record<string, string>): Promise<StoredTrace[]>
  total(query?: Record<string, string>): Promise<number>
}

/** A real pulse-proxy server (memory store) listening on 127.0.0.1, with a project made through the admin route. */
export async function startPulseServer (t: Test, opts: PulseProxyOptions = {}): Promise<PulseServer> {
  const app = Fastify({ logger: false })
  await app.register(pulseProxy, { adminKey: ADMIN_KEY, ...opts })
  await app.listen({ host: '127.0.0.1', port: 0 })
  t.teardown(() => app.close())
  const { projectId, apiKey } = await createProject(app)
  const { port } = app.server.address() as AddressInfo
  const url = `http://127.0.0.1:${port}`

  async function page (query: Record<string, string>, offset: number) {
    const qs = new URLSearchParams({ ...query, limit: '100', offset: String(offset) })
    const res = await request(`${url}/v1/traces?${qs}`, { headers: { authorization: `Bearer ${apiKey}` } })
    const body = await res.body.json() as { ok: boolean, data: { traces: StoredTrace[], total: number } }
    if (res.statusCode !== 200) throw new Error(`GET /v1/traces: ${res.statusCode} ${JSON.stringify(body)}`)
    return body.data
  }

  return {
    app,
    url,
    apiKey,
    projectId,
    async traces (query = {}) {
      const all: StoredTrace[] = []
      for (let offset = 0; ; offset += 100) {
        const { traces, total } = await page(query, offset)
        all.push(...traces)
        if (traces.length === 0 || all.length >= total) return all
      }
    },
    async total (query = {}) {
      return (await page(query, 0)).total
    }
  }
}

export type GatewayAction =
  | 'forward'
  | { status: number, body?: unknown, headers?: Record<string, string> }
  /** Hold the request until the promise settles, then forward it. */
  | { hold: Promise<void> }

export interface Gateway {
  url: string
  /** Each POST received: the traces it carried. */
  posts: Array<Array<{ trace_id: string }>>
  /** Resolves when the gateway has received `n` POSTs. */
  received(n: number): Promise<void>
}

/**
 * An HTTP server in front of the pulse server deciding, per POST, to forward it, answer it
 * itself, or hold it: how tests make the ingest route slow, failing or refusing, deterministically.
 */
export async function startGateway (t: Test, target: string, decide: (traces: Array<{ trace_id: string }>, index: number) => GatewayAction = () => 'forward'): Promise<Gateway> {
  const posts: Gateway['posts'] = []
  const waiters: Array<{ n: number, resolve: () => void }> = []
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const raw = Buffer.concat(chunks)
      let traces: Array<{ trace_id: string }> = []
      try { traces = JSON.parse(raw.toString('utf8')) as Array<{ trace_id: string }> } catch {}
      const index = posts.length
      posts.push(traces)
      for (const w of waiters.splice(0)) if (posts.length >= w.n) w.resolve(); else waiters.push(w)
      const action = decide(traces, index)
      const forward = async () => {
        const up = await request(`${target}${req.url}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: String(req.headers.authorization) },
          body: raw
        })
        const text = await up.body.text()
        res.writeHead(up.statusCode, { 'content-type': 'application/json' })
        res.end(text)
      }
      const run = async () => {
        if (action === 'forward') return forward()
        if ('hold' in action) {
          await action.hold
          return forward()
        }
        res.writeHead(action.status, { 'content-type': 'application/json', ...action.headers })
        res.end(JSON.stringify(action.body ?? { ok: false, error: { code: 'MOCK', message: `mock ${action.status}` } }))
      }
      run().catch(() => res.destroy())
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => {
    server.closeAllConnections()
    server.close(() => resolve())
  }))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    posts,
    received (n) {
      if (posts.length >= n) return Promise.resolve()
      return new Promise<void>((resolve) => waiters.push({ n, resolve }))
    }
  }
}
