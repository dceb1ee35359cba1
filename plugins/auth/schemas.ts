import { Type, type Static } from '@sinclair/typebox'
import { Envelope } from '../../lib/envelope.js'

const DateTime = Type.String({ format: 'date-time' })
const Id = Type.String({ minLength: 1, maxLength: 128 })

export const ProjectParams = Type.Object({ id: Id })
export const KeyParams = Type.Object({ id: Id, keyId: Id })

export const CreateProjectBody = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 200 })
}, { additionalProperties: false })
export type CreateProjectBody = Static<typeof CreateProjectBody>

export const CreateKeyBody = Type.Object({
  name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 }))
}, { additionalProperties: false })
export type CreateKeyBody = Static<typeof CreateKeyBody>

export const PageQuery = Type.Object({
  limit: Type.Integer({ minimum: 1, maximum: 100, default: 50 }),
  offset: Type.Integer({ minimum: 0, default: 0 })
}, { additionalProperties: false })

export const Project = Type.Object({ projectId: Type.String(), name: Type.String(), createdAt: DateTime })

export const CreatedProject = Type.Object({
  projectId: Type.String(),
  name: Type.String(),
  apiKey: Type.String({ description: 'Shown once; only its hash is stored' }),
  keyId: Type.String(),
  createdAt: DateTime
})

export const ApiKeyMeta = Type.Object({
  keyId: Type.String(),
  prefix: Type.String(),
  name: Type.Optional(Type.String()),
  createdAt: DateTime,
  lastUsedAt: Type.Optional(DateTime),
  revokedAt: Type.Optional(DateTime)
})

export const CreatedKey = Type.Object({
  keyId: Type.String(),
  apiKey: Type.String({ description: 'Shown once; only its hash is stored' }),
  prefix: Type.String(),
  createdAt: DateTime
})

export const Me = Type.Object({
  projectId: Type.String(),
  via: Type.String(),
  keyId: Type.Optional(Type.String()),
  userId: Type.Optional(Type.String())
})

export const CreatedProjectResponse = Envelope(CreatedProject)
export const ProjectListResponse = Envelope(Type.Object({
  projects: Type.Array(Project), total: Type.Integer(), limit: Type.Integer(), offset: Type.Integer()
}))
export const CreatedKeyResponse = Envelope(CreatedKey)
export const KeyListResponse = Envelope(Type.Object({ keys: Type.Array(ApiKeyMeta) }))
export const RevokedKeyResponse = Envelope(ApiKeyMeta)
export const MeResponse = Envelope(Me)

export const ProviderName = Type.String({ pattern: '^[a-z][a-z0-9_-]{0,63}$', description: 'e.g. openai, anthropic, openrouter' })

/** `apiKey` is checked against `auth.session.maxKeyLength` in the route. */
export const CreateSessionBody = Type.Object({
  provider: ProviderName,
  apiKey: Type.String({ minLength: 1, maxLength: 16_384, description: 'Your provider key; stored encrypted, never returned' })
}, { additionalProperties: false })
export type CreateSessionBody = Static<typeof CreateSessionBody>

export const Session = Type.Object({
  projectId: Type.String(),
  userId: Type.Optional(Type.String()),
  providers: Type.Array(Type.String(), { description: 'Providers this session holds a key for' }),
  createdAt: DateTime,
  expiresAt: DateTime
})

export const SessionResponse = Envelope(Session)
export const LoggedOutResponse = Envelope(Type.Object({ loggedOut: Type.Literal(true) }))
