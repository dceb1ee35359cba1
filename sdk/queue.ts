import type { Trace } from '../plugins/traces/schemas.js'
import type { DeliveryProblem } from './options.js'
import type { SendOutcome, Transport } from './transport.js'

/** What a `flush()` came to, for the traces that were queued when it was called. */
export interface FlushResult {
  /** Acknowledged by the server (202). */
  acknowledged: number
  /** Given up on (retries exhausted or refused by the server), counted in stats().dropped. */
  dropped: number
  /** Still unsettled when the flush timed out (0 unless `timedOut`). */
  pending: number
  timedOut: boolean
}

export interface DropCounts {
  /** The queue held maxQueue traces already. */
  queueFull: number
  /** Network errors / 408 / 429 / 5xx still after maxRetries retries. */
  failed: number
  /** The server refused them (401, 403, 400 invalid trace, 413 for a single trace…). */
  rejected: number
  /** Finished after shutdown(). */
  shutdown: number
}

export interface QueueStats {
  /** Waiting to be sent. */
  queued: number
  /** In a request being sent (or waiting for a retry). */
  sending: number
  /** Traces accepted into the queue since start. */
  accepted: number
  /** Acknowledged by the server. */
  acknowledged: number
  /** Every trace that will never reach the server, by reason. */
  dropped: number
  dropReasons: DropCounts
  /** Requests sent, and how many of them were retries. */
  requests: number
  retries: number
}

export interface QueueOptions {
  batchSize: number
  maxQueue: number
  maxRetries: number
  retryDelay: number
  maxRetryDelay: number
  maxConcurrentRequests: number
  onProblem: (problem: DeliveryProblem) => void
}

interface Item { seq: number, trace: Trace }
interface Batch { minSeq: number, size: number }
interface Waiter {
  target: number
  total: number
  acknowledged: number
  dropped: number
  done: (timedOut: boolean) => void
}
interface Delivered { acknowledged: Item[], dropped: Item[] }

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

/**
 * The SDK's bounded send queue. Traces get increasing sequence numbers; a flush waits until
 * every trace numbered up to the last one queued before it is settled (acknowledged or dropped),
 * whatever order the concurrent batches finish in.
 */
export class TraceQueue {
  private queue: Item[] = []
  private readonly sending = new Set<Batch>()
  private sendingCount = 0
  private seq = 0
  /** Partial batches may be sent for traces numbered up to here (an interval tick or a flush asked). */
  private forceUpTo = 0
  private closed = false
  private readonly waiters = new Set<Waiter>()
  private readonly drops: DropCounts = { queueFull: 0, failed: 0, rejected: 0, shutdown: 0 }
  private counts = { accepted: 0, acknowledged: 0, requests: 0, retries: 0 }

  constructor (private readonly transport: Transport, private readonly opts: QueueOptions) {}

  /** Queue a trace; false when it had to be dropped (counted). Never throws. */
  add (trace: Trace): boolean {
    if (this.closed) {
      this.drops.shutdown++
      return false
    }
    if (this.queue.length + this.sendingCount >= this.opts.maxQueue) {
      this.drops.queueFull++
      return false
    }
    this.queue.push({ seq: ++this.seq, trace })
    this.counts.accepted++
    if (this.queue.length >= this.opts.batchSize) this.pump()
    return true
  }

  /** Send what waits, partial batch included (the interval timer). */
  tick (): void {
    this.forceUpTo = this.seq
    this.pump()
  }

  /** Resolves once every trace queued before the call is acknowledged or dropped, or after `timeoutMs`. */
  flush (timeoutMs?: number): Promise<FlushResult> {
    const target = this.seq
    const total = this.queue.length + this.sendingCount
    this.forceUpTo = target
    if (this.settledUpTo(target)) return Promise.resolve({ acknowledged: 0, dropped: 0, pending: 0, timedOut: false })
    return new Promise<FlushResult>((resolve) => {
      let timer: NodeJS.Timeout | undefined
      const waiter: Waiter = {
        target,
        total,
        acknowledged: 0,
        dropped: 0,
        done: (timedOut) => {
          if (!this.waiters.delete(waiter)) return
          if (timer !== undefined) clearTimeout(timer)
          const pending = timedOut ? Math.max(0, waiter.total - waiter.acknowledged - waiter.dropped) : 0
          resolve({ acknowledged: waiter.acknowledged, dropped: waiter.dropped, pending, timedOut })
        }
      }
      this.waiters.add(waiter)
      if (timeoutMs !== undefined) timer = setTimeout(() => waiter.done(true), timeoutMs)
      this.pump()
    })
  }

  /** Refuse new traces from now on (shutdown); what is queued can still be flushed. */
  close (): void {
    this.closed = true
  }

  get isClosed (): boolean { return this.closed }

  stats (): QueueStats {
    const d = this.drops
    return {
      queued: this.queue.length,
      sending: this.sendingCount,
      accepted: this.counts.accepted,
      acknowledged: this.counts.acknowledged,
      dropped: d.queueFull + d.failed + d.rejected + d.shutdown,
      dropReasons: { ...d },
      requests: this.counts.requests,
      retries: this.counts.retries
    }
  }

  private settledUpTo (target: number): boolean {
    let min = this.queue[0]?.seq ?? Infinity
    for (const b of this.sending) if (b.minSeq < min) min = b.minSeq
    return min > target
  }

  private pump (): void {
    while (this.sending.size < this.opts.maxConcurrentRequests && this.queue.length > 0) {
      if (this.queue.length < this.opts.batchSize && this.queue[0]!.seq > this.forceUpTo) return
      const items = this.queue.splice(0, this.opts.batchSize)
      const batch: Batch = { minSeq: items[0]!.seq, size: items.length }
      this.sending.add(batch)
      this.sendingCount += batch.size
      // deliver() never rejects: every outcome is data.
      this.deliver(items).then((result) => {
        this.sending.delete(batch)
        this.sendingCount -= batch.size
        this.settle(result)
        this.pump()
      })
    }
  }

  private settle ({ acknowledged, dropped }: Delivered): void {
    this.counts.acknowledged += acknowledged.length
    for (const w of this.waiters) {
      for (const i of acknowledged) if (i.seq <= w.target) w.acknowledged++
      for (const i of dropped) if (i.seq <= w.target) w.dropped++
    }
    for (const w of this.waiters) if (this.settledUpTo(w.target)) w.done(false)
  }

  private giveUp (items: Item[], reason: 'failed' | 'rejected', outcome: Exclude<SendOutcome, { kind: 'ok' }>, into: Delivered): void {
    this.drops[reason] += items.length
    into.dropped.push(...items)
    const status = 'status' in outcome ? outcome.status : undefined
    try {
      this.opts.onProblem({
        kind: status !== undefined ? `http_${status}` : 'network',
        traces: items.length,
        ...(status !== undefined ? { status } : {}),
        message: outcome.message
      })
    } catch {
      // A throwing onError must not break delivery.
    }
  }

  private backoff (attempt: number, retryAfterMs: number | undefined): number {
    const { retryDelay, maxRetryDelay } = this.opts
    if (retryAfterMs !== undefined) return Math.min(retryAfterMs, maxRetryDelay)
    return Math.random() * Math.min(maxRetryDelay, retryDelay * 2 ** attempt)
  }

  /** Send items until each is acknowledged or given up on: retries with backoff, splits on 413, drops a named bad item. */
  private async deliver (items: Item[], into: Delivered = { acknowledged: [], dropped: [] }): Promise<Delivered> {
    let pending = items
    let attempt = 0
    while (pending.length > 0) {
      this.counts.requests++
      const outcome = await this.transport.send(pending.map((i) => i.trace))
      switch (outcome.kind) {
        case 'ok':
          into.acknowledged.push(...pending)
          return into
        case 'invalid_item': {
          // The server names the first bad trace: drop it alone, send the rest again.
          this.giveUp([pending[outcome.index]!], 'rejected', outcome, into)
          pending = pending.filter((_, i) => i !== outcome.index)
          break
        }
        case 'too_large': {
          if (pending.length === 1) {
            this.giveUp(pending, 'rejected', outcome, into)
            return into
          }
          const half = Math.ceil(pending.length / 2)
          await this.deliver(pending.slice(0, half), into)
          return this.deliver(pending.slice(half), into)
        }
        case 'rejected':
          this.giveUp(pending, 'rejected', outcome, into)
          return into
        case 'retry':
          if (attempt >= this.opts.maxRetries) {
            this.giveUp(pending, 'failed', outcome, into)
            return into
          }
          attempt++
          this.counts.retries++
          // A ref'd timer on purpose: a flush at exit must outlive the wait (it is bounded by maxRetryDelay).
          await sleep(this.backoff(attempt, outcome.retryAfterMs))
          break
      }
    }
    return into
  }
}
