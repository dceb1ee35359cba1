import { Type, type Static } from '@sinclair/typebox'

export const VaultOptions = Type.Object({
  keys: Type.Optional(Type.Array(Type.String({ minLength: 1 }), {
    minItems: 1,
    description: 'Encryption secrets, active first, then previous ones (still decrypt; re-encrypted on read). ≥ 32 characters in production. Without keys, outside production, a random key is made per process.'
  }))
}, { additionalProperties: false })

export type VaultOptions = Static<typeof VaultOptions>
