import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify'
import type { Test } from 'tap'
import { memoryStore } from '../../lib/store/index.js'
import type { PulseStore } from '../../lib/store/types.js'
import { pulseAuth, type PulseAuthOptions } from '../../plugins/auth/index.js'
import { pulseCore, type PulseCoreOptions } from '../../plugins/core/index.js'
import { pulseVault, type PulseVaultOptions } from '../../plugins/vault/index.js'
import { ADMIN_KEY, LogCapture, type Built } from './app.js'

export const VAULT_KEY = 'test-vault-key-0123456789abcdef-0123456789'

/** A clock tests move by hand; pass `clock.now` where a service takes `now`. */
export class FakeClock {
  constructor (public ms = Date.UTC(2030, 0, 1)) {}
  readonly now = () => new Date(this.ms)
  advance (ms: number) { this.ms += ms }
}

export interface AuthBuildOptions {
  core?: PulseCoreOptions
  auth?: PulseAuthOptions
  /** false: register no vault (BYOK sessions must then fail clearly). */
  vault?: PulseVaultOptions | false
  store?: PulseStore
  /** Extra Fastify server options (e.g. trustProxy); the logger is always the capture. */
  fastify?: Omit<FastifyServerOptions, 'logger'>
  setup?: (app: FastifyInstance) => Promise<void> | void
}

/**
 * Like build(), but registers pulse-core, pulse-auth and pulse-vault one by one, so a test can
 * hand pulse-auth a clock (the umbrella takes only serialisable options) or leave the vault out.
 */
export async function buildAuth (t: Test, opts: AuthBuildOptions = {}): Promise<Built> {
  const logs = new LogCapture()
  const app = Fastify({ ...opts.fastify, logger: { level: 'trace', stream: logs } })
  t.teardown(() => app.close())
  await opts.setup?.(app)
  await app.register(pulseCore, { store: opts.store ?? memoryStore(), ...opts.core })
  await app.register(pulseAuth, { adminKey: ADMIN_KEY, ...opts.auth })
  if (opts.vault !== false) await app.register(pulseVault, { keys: [VAULT_KEY], ...opts.vault })
  await app.ready()
  return { app, logs }
}

/** Body of an error envelope without its per-request correlation id, for comparing failures. */
export function errorShape (body: string) {
  const parsed = JSON.parse(body) as { ok: boolean, error: Record<string, unknown> }
  const { correlationId, ...error } = parsed.error
  return { ok: parsed.ok, error, hasCorrelationId: typeof correlationId === 'string' }
}

/** `name=value` of a Set-Cookie header, and its attributes, parsed loosely for assertions. */
export function parseSetCookie (header: string | string[] | undefined) {
  const line = Array.isArray(header) ? header[0] : header
  if (line === undefined) return undefined
  const [pair, ...attrs] = line.split(/;\s*/)
  const eq = pair!.indexOf('=')
  const attributes: Record<string, string | true> = {}
  for (const a of attrs) {
    const i = a.indexOf('=')
    attributes[(i === -1 ? a : a.slice(0, i)).toLowerCase()] = i === -1 ? true : a.slice(i + 1)
  }
  return { name: pair!.slice(0, eq), value: pair!.slice(eq + 1), attributes }
}
