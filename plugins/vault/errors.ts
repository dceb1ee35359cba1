import createError from '@fastify/error'

export { DecryptError, UnknownKeyError } from '../../lib/crypto.js'

export const SecretConflictError = createError<[string]>('PULSE_VAULT_CONFLICT',
  'Secret %s was changed by other writers while storing it; retry', 409)
