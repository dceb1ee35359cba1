import createError from '@fastify/error'

/** observe() was given something it cannot instrument (a programming error, thrown at once). */
export const ObserveError = createError<[string]>('PULSE_SDK_OBSERVE', '%s', 500, TypeError)
