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
  /** `vault.keys`: PULSE_ENCRYPTION_KEY (active), then PULSE_ENCRYPTION_KEY_PREV while rotating. */
  encryptionKeys: Array<string | undefined>
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

  return {
    port,
    host: env.HOST ?? '127.0.0.1',
    mongodbUrl: env.MONGODB_URL || undefined,
    adminKey: secret('PULSE_ADMIN_KEY'),
    // In production an unset key stays unset, and the vault refuses to start.
    encryptionKeys: [secret('PULSE_ENCRYPTION_KEY'), env.PULSE_ENCRYPTION_KEY_PREV || undefined],
    production,
    generated
  }
}
