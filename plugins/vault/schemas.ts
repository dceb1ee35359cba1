import { Type, type Static } from '@sinclair/typebox'
import { Envelope } from '../../lib/envelope.js'
import { SECRET_NAME_PATTERN } from './service.js'

export const SecretParams = Type.Object({
  name: Type.String({ pattern: SECRET_NAME_PATTERN, description: 'Letters, digits, `.`, `_`, `-`; up to 100; provider keys are `provider.<name>`' })
})

export function putSecretBody (maxValueLength: number) {
  return Type.Object({
    value: Type.String({ minLength: 1, maxLength: maxValueLength, description: 'Encrypted at rest; never returned' })
  }, { additionalProperties: false })
}
export type PutSecretBody = Static<ReturnType<typeof putSecretBody>>

export const SecretMeta = Type.Object({
  name: Type.String(),
  version: Type.Integer({ minimum: 1 }),
  fingerprint: Type.String({ description: 'Last 8 hex digits of the keyed fingerprint: tells values apart, reveals nothing' }),
  createdAt: Type.String({ format: 'date-time', description: 'When this version was stored' }),
  updatedAt: Type.String({ format: 'date-time', description: 'When the record was last written, re-encryption included' })
})

export const PutSecretResponse = Envelope(Type.Object({
  ...SecretMeta.properties,
  changed: Type.Boolean({ description: 'False when the value equalled the latest version: nothing was stored' })
}))

export const SecretListResponse = Envelope(Type.Object({ secrets: Type.Array(SecretMeta) }))

export const DeletedSecretResponse = Envelope(Type.Object({
  name: Type.String(),
  deleted: Type.Literal(true)
}))

export const RotateResponse = Envelope(Type.Object({
  scanned: Type.Integer(),
  reencrypted: Type.Integer(),
  alreadyCurrent: Type.Integer(),
  failed: Type.Integer(),
  failures: Type.Array(Type.Object({
    projectId: Type.String(),
    name: Type.String(),
    version: Type.Integer(),
    keyId: Type.String(),
    code: Type.String()
  }))
}))

export const StatusResponse = Envelope(Type.Object({
  activeKeyId: Type.String(),
  keys: Type.Array(Type.Object({
    keyId: Type.String({ description: 'Derived from the key; says nothing about it' }),
    active: Type.Boolean(),
    configured: Type.Boolean({ description: 'False: records under a key this instance does not have' }),
    records: Type.Integer()
  }))
}))
