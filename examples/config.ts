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
  /** PULSE_MOCK_PROVIDER=1: the in-process mock provider (refused in production). */
  mockProvider: boolean
  /** `providers`: openai always, plus mock, plus every PULSE_PROVIDER_<NAME>_BASE_URL. */
  providers: Record<string, { baseUrl?: string }>
  /** PULSE_TRACE_RETENTION_DAYS: delete traces older than this; unset keeps them. */
  traceRetentionDays?: number
  production: boolean
  generated: Record<string, string>
}

const BASE_URL_VAR = /^PULSE_PROVIDER_([A-Z0-9][A-Z0-9_]{0,31})_BASE_URL$/

/**
 * `PULSE_PROVIDER_<NAME>_BASE_URL` enables provider `<name>` (lower-cased; `_` stays) at that
 * base URL: a built-in one (openai, anthropic, openrouter, puter) moves, any other name is a
 * custom OpenAI-compatible provider. openai and anthropic are enabled by default.
 */
export function providersFromEnv (env: NodeJS.ProcessEnv, mock: boolean): Record<string, { baseUrl?: string }> {
  const providers: Record<string, { baseUrl?: string }> = { openai: {}, anthropic: {}, openrouter: {} }
  for (const [name, value] of Object.entries(env)) {
    const match = BASE_URL_VAR.exec(name)
    if (match === null || value === undefined || value === '') continue
    providers[(match[1] as string).toLowerCase()] = { baseUrl: value }
  }
  if (mock) providers.mock = {}
  return providers
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

  const mockProvider = env.PULSE_MOCK_PROVIDER === '1' || env.PULSE_MOCK_PROVIDER === 'true'
  const retention = env.PULSE_TRACE_RETENTION_DAYS
  const traceRetentionDays = retention === undefined || retention === '' ? undefined : Number(retention)
  if (traceRetentionDays !== undefined && (!Number.isInteger(traceRetentionDays) || traceRetentionDays < 1)) {
    throw new Error(`PULSE_TRACE_RETENTION_DAYS must be a whole number of days ≥ 1, got "${retention}"`)
  }

  return {
    mockProvider,
    providers: providersFromEnv(env, mockProvider),
    port,
    host: env.HOST ?? '127.0.0.1',
    mongodbUrl: env.MONGODB_URL || undefined,
    adminKey: secret('PULSE_ADMIN_KEY'),
    // In production an unset key stays unset, and the vault refuses to start.
    encryptionKeys: [secret('PULSE_ENCRYPTION_KEY'), env.PULSE_ENCRYPTION_KEY_PREV || undefined],
    ...(jwtSet === 3 ? { jwt: jwtVars as { jwksUrl: string, issuer: string, audience: string } } : {}),
    devAuth: env.PULSE_DEV_AUTH === '1' || env.PULSE_DEV_AUTH === 'true',
    sessionOrigins: (env.PULSE_SESSION_ORIGINS ?? '').split(',').map((o) => o.trim()).filter(Boolean),
    traceRetentionDays,
    production,
    generated
  }
}
