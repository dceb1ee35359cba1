import { randomBytes } from 'node:crypto'

/**
 * The example server's whole configuration, from the environment (see README › Configuration).
 * Outside production, missing secrets are generated so `npm start` needs nothing; they are
 * printed once, to the terminal only.
 */
export interface ServerConfig {
  port: number
  host: string
  mongodbUrl?: string
  adminKey?: string
  /** PULSE_TRACE_RETENTION_DAYS: delete traces older than this; unset keeps them. */
  traceRetentionDays?: number
  production: boolean
  generated: Record<string, string>
}

export function loadConfig (env: NodeJS.ProcessEnv = process.env): ServerConfig {
  const production = env.NODE_ENV === 'production'
  const generated: Record<string, string> = {}
  const secret = (name: string): string | undefined => {
    const value = env[name]
    if (value !== undefined && value !== '') return value
    if (production) return undefined
    generated[name] = randomBytes(32).toString('base64url')
    return generated[name]
  }

  const port = Number(env.PORT ?? 3000)
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`PORT must be a port number, got "${env.PORT}"`)

  const retention = env.PULSE_TRACE_RETENTION_DAYS
  const traceRetentionDays = retention === undefined || retention === '' ? undefined : Number(retention)
  if (traceRetentionDays !== undefined && (!Number.isInteger(traceRetentionDays) || traceRetentionDays < 1)) {
    throw new Error(`PULSE_TRACE_RETENTION_DAYS must be a whole number of days ≥ 1, got "${retention}"`)
  }

  return {
    port,
    host: env.HOST ?? '127.0.0.1',
    mongodbUrl: env.MONGODB_URL || undefined,
    adminKey: secret('PULSE_ADMIN_KEY'),
    traceRetentionDays,
    production,
    generated
  }
}
