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
  /** PULSE_JWKS_URL + PULSE_JWT_ISSUER + PULSE_JWT_AUDIENCE (all three, or none). */
  jwt?: { jwksUrl: string, issuer: string, audience: string }
  /** PULSE_DEV_AUTH=1: the insecure loopback-only dev header (pulse-proxy refuses it in production). */
  devAuth: boolean
  /** PULSE_SESSION_ORIGINS: comma-separated origins allowed to write with the BYOK session cookie. */
  sessionOrigins: string[]
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

  const jwtVars = { jwksUrl: env.PULSE_JWKS_URL, issuer: env.PULSE_JWT_ISSUER, audience: env.PULSE_JWT_AUDIENCE }
  const jwtSet = Object.values(jwtVars).filter((v) => v !== undefined && v !== '').length
  if (jwtSet !== 0 && jwtSet !== 3) {
    throw new Error('PULSE_JWKS_URL, PULSE_JWT_ISSUER and PULSE_JWT_AUDIENCE go together: set all three or none')
  }

  return {
    port,
    host: env.HOST ?? '127.0.0.1',
    mongodbUrl: env.MONGODB_URL || undefined,
    adminKey: secret('PULSE_ADMIN_KEY'),
    // In production an unset key stays unset, and the vault refuses to start.
    encryptionKeys: [secret('PULSE_ENCRYPTION_KEY'), env.PULSE_ENCRYPTION_KEY_PREV || undefined],
    ...(jwtSet === 3 ? { jwt: jwtVars as { jwksUrl: string, issuer: string, audience: string } } : {}),
    devAuth: env.PULSE_DEV_AUTH === '1' || env.PULSE_DEV_AUTH === 'true',
    sessionOrigins: (env.PULSE_SESSION_ORIGINS ?? '').split(',').map((o) => o.trim()).filter(Boolean),
    production,
    generated
  }
}
