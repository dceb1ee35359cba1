import createError from '@fastify/error'

/** Extra facts an error carries into the envelope; set with `describe()`. */
export interface ErrorInfo {
  details?: unknown
  retryable?: boolean
  /** Upstream failure class, e.g. `provider_timeout`; becomes `error.cause` in the envelope. */
  cause?: string
  /** Response headers that belong with the error, e.g. `Retry-After`. */
  headers?: Record<string, string>
}

export interface PulseError extends Error {
  code: string
  statusCode: number
  pulse?: ErrorInfo
}

// Shared codes. Plugins add their own in their errors.ts, always with the PULSE_ prefix.
export const ValidationError = createError<[string]>('PULSE_VALIDATION', '%s', 400)
export const InvalidJsonError = createError<[string]>('PULSE_INVALID_JSON', 'Request body is not valid JSON: %s', 400)
export const BadRequestError = createError<[string]>('PULSE_BAD_REQUEST', '%s', 400)
export const UnauthorizedError = createError<[string?]>('PULSE_UNAUTHORIZED', '%s', 401)
export const ForbiddenError = createError<[string]>('PULSE_FORBIDDEN', '%s', 403)
export const NotFoundError = createError<[string]>('PULSE_NOT_FOUND', '%s', 404)
export const ConflictError = createError<[string]>('PULSE_CONFLICT', '%s', 409)
export const PayloadTooLargeError = createError<[number]>('PULSE_PAYLOAD_TOO_LARGE', 'Request body is larger than the limit of %s bytes', 413)
export const UnsupportedMediaTypeError = createError<[string]>('PULSE_UNSUPPORTED_MEDIA_TYPE', 'Unsupported Content-Type: %s', 415)
export const RateLimitedError = createError<[string]>('PULSE_RATE_LIMITED', '%s', 429)
export const InternalError = createError<[]>('PULSE_INTERNAL', 'Internal server error', 500)
export const UnavailableError = createError<[string]>('PULSE_UNAVAILABLE', '%s', 503)
export const OptionError = createError<[string]>('PULSE_BAD_OPTION', 'pulse-proxy: %s', 500)

/** Attach envelope facts to an error and return it, so `throw describe(new X(...), {...})` reads in one line. */
export function describe<E extends Error> (err: E, info: ErrorInfo): E {
  const target = err as E & { pulse?: ErrorInfo }
  target.pulse = { ...target.pulse, ...info }
  return err
}

export function isPulseError (err: unknown): err is PulseError {
  return err instanceof Error && typeof (err as PulseError).code === 'string' &&
    (err as PulseError).code.startsWith('PULSE_') && typeof (err as PulseError).statusCode === 'number'
}
