import rateLimit from '@fastify/rate-limit'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { describe, RateLimitedError } from '../../lib/errors.js'
import type { RateLimitOptions } from './options.js'

/** Counts failed authentications per client IP and locks the IP out once it has too many. */
export interface FailureGuard {
  /** Throws a 429 while this client is locked out, before any credential is checked. */
  check(request: FastifyRequest): Promise<void>
  /** False when `check` would pass without asking the counter store (no recent failure from this client). */
  mayBeLocked(request: FastifyRequest): boolean
  /** Counts one failure; throws a 429 when it was one too many. */
  failed(request: FastifyRequest): Promise<void>
}

const MAX_TRACKED = 10_000

const open: FailureGuard = { async check () {}, mayBeLocked: () => false, async failed () {} }

function lockedOut (retryAfterSec: number) {
  return describe(new RateLimitedError('Too many failed authentication attempts from this address; retry later'), {
    retryable: true,
    headers: { 'retry-after': String(Math.max(1, retryAfterSec)) }
  })
}

/**
 * Built on @fastify/rate-limit's `createRateLimit`, registered in an encapsulated child with
 * `global: false`: no hook, decorator or limit reaches the host's routes (or a host's own
 * registration of the plugin). Keyed by `request.ip`, so behind a proxy the host must set
 * Fastify's `trustProxy`, or every client shares one counter.
 */
export async function createFailureGuard (app: FastifyInstance, options: RateLimitOptions): Promise<FailureGuard> {
  if (!options.enabled) return open
  let limiter: ReturnType<FastifyInstance['createRateLimit']> | undefined
  await app.register(async function pulseAuthFailureLimit (child) {
    await child.register(rateLimit, { global: false })
    limiter = child.createRateLimit({
      max: options.max,
      timeWindow: options.timeWindow,
      keyGenerator: (request) => request.ip,
      // A broken counter store must not lock everyone out.
      skipOnError: true
    })
  })
  const limit = limiter!

  // Only an IP that failed within the last window can be locked out: every other request skips
  // the counter store. Bounded: when full, it is cleared and every request is checked for one
  // window (by then each failure it held has expired).
  const lastFailure = new Map<string, number>()
  let checkAllUntil = 0

  function mayBeLocked (request: FastifyRequest): boolean {
    const t = Date.now()
    if (t < checkAllUntil) return true
    const at = lastFailure.get(request.ip)
    if (at === undefined) return false
    if (t - at > options.timeWindow) {
      lastFailure.delete(request.ip)
      return false
    }
    return true
  }

  return {
    mayBeLocked,
    async check (request) {
      if (!mayBeLocked(request)) return
      const state = await limit(request, { increment: false })
      if (!state.isAllowed && state.remaining === 0 && state.ttl > 0) throw lockedOut(state.ttlInSeconds)
    },
    async failed (request) {
      const t = Date.now()
      if (lastFailure.size >= MAX_TRACKED && !lastFailure.has(request.ip)) {
        lastFailure.clear()
        checkAllUntil = t + options.timeWindow
      }
      lastFailure.set(request.ip, t)
      const state = await limit(request)
      if (!state.isAllowed && state.isExceeded) throw lockedOut(state.ttlInSeconds)
    }
  }
}
