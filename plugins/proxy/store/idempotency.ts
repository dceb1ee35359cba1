import { Type, type Static } from '@sinclair/typebox'
import type { Repository } from '../../../lib/store/types.js'

// Idempotency keys (DESIGN.md › provider proxy, part 2; also jobs). Only the contract exists so
// far: implementations and their contract tests come with the proxy's part 2.

export const IdempotencyRecord = Type.Object({
  projectId: Type.String(),
  /** The client's `Idempotency-Key` / `x-idempotency-key`. */
  key: Type.String({ maxLength: 256 }),
  /** A hash of method, route and body: the same key with another request is a conflict. */
  fingerprint: Type.String(),
  state: Type.Union([Type.Literal('in_progress'), Type.Literal('done')]),
  status: Type.Optional(Type.Integer()),
  headers: Type.Optional(Type.Record(Type.String(), Type.String())),
  body: Type.Optional(Type.String()),
  createdAt: Type.Date(),
  /** 24 h after creation; TTL index or sweep. */
  expiresAt: Type.Date()
})
export type IdempotencyRecord = Static<typeof IdempotencyRecord>

export interface IdempotencyRepository extends Repository {
  /** Take the key (insert `in_progress`); the existing record when another request already did. */
  begin(record: IdempotencyRecord): Promise<{ created: true } | { created: false, existing: IdempotencyRecord }>
  /** Store the response to replay. */
  complete(projectId: string, key: string, response: { status: number, headers: Record<string, string>, body: string }): Promise<void>
  /** Drop an `in_progress` key whose request failed before answering, so a retry may run. */
  release(projectId: string, key: string): Promise<void>
}
