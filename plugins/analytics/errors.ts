import createError from '@fastify/error'

export const InvalidRangeError = createError<[string]>('PULSE_VALIDATION', '%s', 400)
