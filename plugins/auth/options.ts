import { Type, type Static } from '@sinclair/typebox'

const stringOrList = (description: string) =>
  Type.Union([Type.String({ minLength: 1 }), Type.Array(Type.String({ minLength: 1 }), { minItems: 1 })], { description })

/** Asymmetric algorithms only: a shared-secret HS* key has no place in a JWKS served to everyone. */
export const JwtAlgorithm = Type.Union([
  'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'
].map((alg) => Type.Literal(alg)))

export const JwtOptions = Type.Object({
  jwksUrl: Type.String({ pattern: '^https?://', description: 'Where the issuer publishes its signing keys (JWKS). https:// is required in production unless the host is loopback.' }),
  issuer: stringOrList('Accepted `iss` value(s)'),
  audience: stringOrList('Accepted `aud` value(s)'),
  algorithms: Type.Array(JwtAlgorithm, { minItems: 1, default: ['RS256', 'ES256'], description: 'Allow-list of signature algorithms; anything else (including `none`) is refused' }),
  projectClaim: Type.String({ minLength: 1, default: 'project_id', description: 'Claim naming the project the token acts for' }),
  projectId: Type.Optional(Type.String({ minLength: 1, description: 'Map every valid token to this project instead of reading projectClaim' })),
  userClaim: Type.String({ minLength: 1, default: 'sub', description: 'Claim giving `request.pulse.userId`' }),
  clockToleranceSec: Type.Integer({ minimum: 0, maximum: 300, default: 5, description: 'Leeway for exp/nbf/iat' }),
  timeoutMs: Type.Integer({ minimum: 1, default: 5000, description: 'Timeout of one JWKS fetch' }),
  cooldownMs: Type.Integer({ minimum: 0, default: 30_000, description: 'After a fetch, how long an unknown `kid` waits before it may trigger another (rotation pick-up)' }),
  cacheMaxAgeMs: Type.Integer({ minimum: 0, default: 600_000, description: 'How long fetched keys are used before the JWKS is fetched again' })
}, { additionalProperties: false })
export type JwtOptions = Static<typeof JwtOptions>

export const SessionOptions = Type.Object({
  ttlMs: Type.Integer({ minimum: 1000, default: 86_400_000, description: 'Lifetime of a BYOK session (absolute, from its creation)' }),
  cookieName: Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$', default: 'pulse_session' }),
  secure: Type.Boolean({ default: true, description: 'Send the cookie with `Secure`; false only for plain-http development (refused in production)' }),
  allowedOrigins: Type.Array(Type.String({ pattern: '^https?://[^/\\s]+$' }), {
    default: [],
    description: 'Origins (scheme://host[:port]) allowed to make cookie-authenticated POST/PUT/PATCH/DELETE requests'
  }),
  maxKeyLength: Type.Integer({ minimum: 16, maximum: 16_384, default: 4096, description: 'Longest provider key accepted' })
}, { additionalProperties: false })
export type SessionOptions = Static<typeof SessionOptions>

export const RateLimitOptions = Type.Object({
  enabled: Type.Boolean({ default: true }),
  max: Type.Integer({ minimum: 1, default: 30, description: 'Failed authentications allowed per client IP per window' }),
  timeWindow: Type.Integer({ minimum: 1000, default: 60_000, description: 'Window in ms; a locked-out IP waits until it ends (Retry-After)' })
}, { additionalProperties: false })
export type RateLimitOptions = Static<typeof RateLimitOptions>

export const AuthOptions = Type.Object({
  adminKey: Type.Optional(Type.String({ minLength: 16, description: 'Sent as x-admin-key to manage projects and keys; admin routes answer 401 without it' })),
  apiKeyCacheMs: Type.Integer({
    minimum: 0,
    default: 5000,
    description: 'How long a verified API key is trusted without a store read. A key revoked on another instance is refused at most this long after.'
  }),
  touchIntervalMs: Type.Integer({ minimum: 0, default: 60_000, description: 'How often lastUsedAt is written per key' }),
  jwt: Type.Optional(JwtOptions),
  devAuth: Type.Boolean({ default: false, description: 'Insecure dev mode: trust devHeader naming a project, from loopback only; refused in production' }),
  devHeader: Type.String({ pattern: '^[a-z0-9-]{1,64}$', default: 'x-pulse-project' }),
  session: Type.Object(SessionOptions.properties, { additionalProperties: false, default: {} }),
  rateLimit: Type.Object(RateLimitOptions.properties, { additionalProperties: false, default: {} })
}, { additionalProperties: false })

export type AuthOptions = Static<typeof AuthOptions>

/** What a caller passes for `jwt`: the three that identify the issuer, the rest defaulted. */
export type JwtOptionsInput = Pick<JwtOptions, 'jwksUrl' | 'issuer' | 'audience'> & Partial<Omit<JwtOptions, 'jwksUrl' | 'issuer' | 'audience'>>

/** What a caller passes (every defaulted option may be left out); `AuthOptions` is the resolved shape. */
export type AuthOptionsInput = Partial<Omit<AuthOptions, 'jwt' | 'session' | 'rateLimit'>> & {
  jwt?: JwtOptionsInput
  session?: Partial<SessionOptions>
  rateLimit?: Partial<RateLimitOptions>
}
