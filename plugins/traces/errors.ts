import createError from '@fastify/error'

export const BatchTooLargeError = createError<[number, number]>('PULSE_BATCH_TOO_LARGE',
  'A batch holds at most %s traces; this one has %s', 413)
export const InvalidTraceError = createError<[string]>('PULSE_VALIDATION', '%s', 400)
export const TraceNotFoundError = createError<[string]>('PULSE_NOT_FOUND', 'Trace %s not found', 404)
export const SessionNotFoundError = createError<[string]>('PULSE_NOT_FOUND', 'Session %s not found', 404)
/** For callers of record() that must answer their own client when the trace queue is full. */
export const TraceQueueFullError = createError<[]>('PULSE_TRACE_QUEUE_FULL', 'The trace queue is full; try again shortly', 503)
