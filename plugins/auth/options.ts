import { Type, type Static } from '@sinclair/typebox'

export const AuthOptions = Type.Object({
  adminKey: Type.Optional(Type.String({ minLength: 16, description: 'Sent as x-admin-key to manage projects and keys; admin routes answer 401 without it' })),
  apiKeyCacheMs: Type.Integer({
    minimum: 0,
    default: 5000,
    description: 'How long a verified API key is trusted without a store read. A key revoked on another instance is refused at most this long after.'
  }),
  touchIntervalMs: Type.Integer({ minimum: 0, default: 60_000, description: 'How often lastUsedAt is written per key' })
}, { additionalProperties: false })

export type AuthOptions = Static<typeof AuthOptions>
