import { Type, type Static } from '@sinclair/typebox'

export const DEFAULT_MAX_VALUE_LENGTH = 16_384

export const VaultOptions = Type.Object({
  keys: Type.Optional(Type.Array(Type.Union([Type.String(), Type.Undefined()]), {
    description: 'Encryption secrets, active first, then previous ones (they still decrypt; what they open is re-encrypted under the active one). ' +
      'At least 32 characters each in production. Unset or empty entries after the first are ignored, so ' +
      '`[env.PULSE_ENCRYPTION_KEY, env.PULSE_ENCRYPTION_KEY_PREV]` works when the previous key is not set. ' +
      'Without any key: refused in production; elsewhere a random key is made for this process only.'
  })),
  maxValueLength: Type.Optional(Type.Integer({
    minimum: 1,
    maximum: 1_048_576,
    default: DEFAULT_MAX_VALUE_LENGTH,
    description: 'Longest secret value, in characters'
  }))
}, { additionalProperties: false })

export type VaultOptions = Static<typeof VaultOptions>
