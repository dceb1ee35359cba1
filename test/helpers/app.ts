import { Writable } from 'node:stream'
import Fastify, { type FastifyInstance } from 'fastify'
import type { Test } from 'tap'
import { pulseProxy, type PulseProxyOptions } from '../../plugins/pulse-proxy.js'

export const ADMIN_KEY = 'test-admin-key-0123456789abcdef'

/** Everything the app logged, as parsed pino lines and as raw text (for leak checks). */
export class LogCapture extends Writable {
  readonly raw: string[] = []
  get lines (): Array<Record<string, unknown>> {
    return this.raw.map((l) => JSON.parse(l) as Record<string, unknown>)
  }

  get text (): string { return this.raw.join('') }

  override _write (chunk: Buffer, _enc: BufferEncoding, done: () => void) {
    for (const line of chunk.toString().split('\n')) if (line.trim() !== '') this.raw.push(line)
    done()
  }
}

export interface Built {
  app: FastifyInstance
  logs: LogCapture
}

export interface BuildHooks {
  /** Runs before pulse-proxy registers (host routes, hooks, handlers). */
  before?: (app: FastifyInstance) => Promise<void> | void
  /** Runs after pulse-proxy registered, before ready (extra pulse-scoped routes). */
  after?: (app: FastifyInstance) => Promise<void> | void
}

/** A host app with pulse-proxy registered, closed when the test ends. */
export async function build (
  t: Test, opts: PulseProxyOptions = {}, setup: BuildHooks | BuildHooks['before'] = {}
): Promise<Built> {
  const hooks: BuildHooks = typeof setup === 'function' ? { before: setup } : setup
  const logs = new LogCapture()
  const app = Fastify({ logger: { level: 'trace', stream: logs } })
  t.teardown(() => app.close())
  await hooks.before?.(app)
  await app.register(pulseProxy, { adminKey: ADMIN_KEY, ...opts })
  await hooks.after?.(app)
  await app.ready()
  return { app, logs }
}

/** Create a project through the admin route; returns its id and first API key. */
export async function createProject (app: FastifyInstance, name = 'test project', prefix = '/v1') {
  const res = await app.inject({
    method: 'POST',
    url: `${prefix}/projects`,
    headers: { 'x-admin-key': ADMIN_KEY },
    payload: { name }
  })
  if (res.statusCode !== 201) throw new Error(`createProject: ${res.statusCode} ${res.body}`)
  const { data } = res.json() as { data: { projectId: string, apiKey: string, keyId: string } }
  return data
}

export function bearer (apiKey: string) {
  return { authorization: `Bearer ${apiKey}` }
}
