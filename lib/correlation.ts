import { randomUUID } from 'node:crypto'

export const REQUEST_ID_HEADER = 'x-request-id'

// An incoming id is echoed into headers and logs, so bound its length and charset.
const SANE_ID = /^[A-Za-z0-9._:-]{1,128}$/

/** The caller's `x-request-id` when it is sane, else a new random id. */
export function correlationIdFrom (header: string | string[] | undefined): string {
  const value = Array.isArray(header) ? header[0] : header
  return value !== undefined && SANE_ID.test(value) ? value : randomUUID()
}
