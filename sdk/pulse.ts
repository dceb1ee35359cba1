import { AsyncLocalStorage } from 'node:async_hooks'
import { createPricing } from '../lib/pricing.js'
import type { Trace } from '../plugins/traces/schemas.js'
import type { SinkSettings, TraceContext, TraceSink } from './call.js'
import { DEFAULT_SIGNALS, resolvePulseOptions, type DeliveryProblem, type PulseOptions, type ResolvedPulseOptions } from './options.js'
import { patchClient, type Binding, type ProviderOption } from './providers.js'
import { TraceQueue, type FlushResult, type QueueStats } from './queue.js'
import { createTransport, type Transport } from './transport.js'

export interface ObserveOptions extends TraceContext {
  /** Default: detected from the client (OpenAI client with an OpenRouter baseURL → openrouter). */
  provider?: ProviderOption
}

export interface PulseStats extends QueueStats {
  /** Observed calls started and not yet finished (streams being read included). */
  open: number
  enabled: boolean
  shutDown: boolean
}

export interface FlushOptions {
  /** Resolve after this many ms even if some traces are still unsettled (`timedOut: true`). */
  timeout?: number
}

const EMPTY_FLUSH: FlushResult = Object.freeze({ acknowledged: 0, dropped: 0, pending: 0, timedOut: false })

/** The observe() argument: a provider name or options. */
export function observeOptions (arg: ProviderOption | ObserveOptions | undefined): ObserveOptions {
  if (arg === undefined) return {}
  return typeof arg === 'string' ? { provider: arg } : arg
}

export function mergeContext (base: TraceContext, scoped: TraceContext | undefined): TraceContext {
  if (scoped === undefined) return base
  const sessionId = scoped.sessionId ?? base.sessionId
  const metadata = base.metadata !== undefined || scoped.metadata !== undefined ? { ...base.metadata, ...scoped.metadata } : undefined
  return { ...(sessionId !== undefined ? { sessionId } : {}), ...(metadata !== undefined ? { metadata } : {}) }
}

/**
 * One SDK instance: its options, send queue, timer and keep-alive pool. Nothing is shared
 * between instances; `initPulse()` additionally makes its instance the module default.
 */
export class Pulse implements TraceSink {
  readonly options: ResolvedPulseOptions
  readonly settings: SinkSettings
  private readonly queue: TraceQueue | undefined
  private readonly transport: Transport | undefined
  private readonly scope = new AsyncLocalStorage<TraceContext>()
  private readonly warned = new Set<string>()
  private readonly signalHandlers = new Map<string, () => void>()
  private timer: NodeJS.Timeout | undefined
  private beforeExit: (() => void) | undefined
  private open = 0
  private closing: Promise<FlushResult> | undefined

  constructor (raw: PulseOptions) {
    this.options = resolvePulseOptions(raw)
    const o = this.options
    this.settings = { captureBodies: o.captureBodies, maxBodyBytes: o.maxBodyBytes, pricing: createPricing(o.pricing) }
    if (!o.enabled) return
    this.transport = createTransport({ url: o.ingestUrl, apiKey: o.apiKey!, timeout: o.timeout, connections: o.maxConcurrentRequests })
    this.queue = new TraceQueue(this.transport, {
      batchSize: o.batchSize,
      maxQueue: o.maxQueue,
      maxRetries: o.maxRetries,
      retryDelay: o.retryDelay,
      maxRetryDelay: o.maxRetryDelay,
      maxConcurrentRequests: o.maxConcurrentRequests,
      onProblem: (p) => this.problem(p)
    })
    const queue = this.queue
    // Unref'd: a pending interval must not keep the application alive.
    this.timer = setInterval(() => queue.tick(), o.flushInterval).unref()
    if (o.flushOnExit) {
      // `beforeExit` fires when the loop is empty; sending makes it non-empty, and once the
      // queue is empty nothing more is scheduled, so the process then exits normally.
      this.beforeExit = () => {
        const s = queue.stats()
        if (s.queued > 0) queue.flush().catch(() => {})
      }
      process.on('beforeExit', this.beforeExit)
    }
    if (o.handleSignals !== false) {
      const signals = o.handleSignals === true ? DEFAULT_SIGNALS : o.handleSignals
      for (const signal of signals) this.handleSignal(signal)
    }
  }

  get enabled (): boolean { return this.options.enabled }

  /**
   * Instrument `client` in place and return it. Its calls are traced by this instance; a client
   * already observed (by any instance) is returned as it is.
   */
  observe<C extends object> (client: C, providerOrOptions?: ProviderOption | ObserveOptions): C {
    if (!this.enabled) return client
    const { provider, ...context } = observeOptions(providerOrOptions)
    patchClient(client, provider, this.binding(context))
    return client
  }

  /** Run `fn` with a session id / metadata attached to every call it makes (AsyncLocalStorage). */
  withContext<T> (context: TraceContext, fn: () => T): T {
    return this.scope.run(mergeContext(this.scope.getStore() ?? {}, context), fn)
  }

  /** The binding a patched client uses. @internal */
  binding (context: TraceContext): Binding {
    return {
      sink: () => this,
      context: () => mergeContext(context, this.scope.getStore())
    }
  }

  /** @internal A traced call started. */
  begin (): void {
    this.open++
  }

  /** @internal A traced call finished: queue its trace (or count it dropped). */
  end (trace: Trace): void {
    this.open--
    this.queue?.add(trace)
  }

  /**
   * Send everything queued now and resolve when the server has acknowledged it (or it was given
   * up on after retries, see `dropped`). Calls still in progress (an open stream) are not waited for.
   * Never rejects.
   */
  flush (opts: FlushOptions = {}): Promise<FlushResult> {
    return this.queue?.flush(opts.timeout) ?? Promise.resolve({ ...EMPTY_FLUSH })
  }

  /**
   * Stop the timer and process listeners, refuse new traces (they are counted as dropped),
   * flush, and close the connection pool. Idempotent. Observed clients keep working untraced.
   */
  shutdown (opts: FlushOptions = {}): Promise<FlushResult> {
    this.closing ??= (async () => {
      const queue = this.queue
      if (queue === undefined) return { ...EMPTY_FLUSH }
      clearInterval(this.timer)
      if (this.beforeExit !== undefined) process.removeListener('beforeExit', this.beforeExit)
      for (const [signal, handler] of this.signalHandlers) process.removeListener(signal, handler)
      this.signalHandlers.clear()
      queue.close()
      const result = await queue.flush(opts.timeout)
      await this.transport?.close().catch(() => {})
      return result
    })()
    return this.closing
  }

  stats (): PulseStats {
    const q = this.queue?.stats() ?? {
      queued: 0, sending: 0, accepted: 0, acknowledged: 0, dropped: 0, requests: 0, retries: 0, dropReasons: { queueFull: 0, failed: 0, rejected: 0, shutdown: 0 }
    }
    return { ...q, open: this.open, enabled: this.enabled, shutDown: this.closing !== undefined }
  }

  private handleSignal (signal: string): void {
    const handler = () => {
      this.shutdown({ timeout: this.options.timeout }).finally(() => {
        // Our listener is gone (once): the signal, sent again, does what it would have done
        // without us. Not "only when no one else listens": libraries like signal-exit also defer
        // to other listeners, and both deferring would leave the process running.
        process.kill(process.pid, signal)
      })
    }
    process.once(signal, handler)
    this.signalHandlers.set(signal, handler)
  }

  private problem (p: DeliveryProblem): void {
    if (this.options.onError !== undefined) return this.options.onError(p)
    // A library that cannot deliver should say so, but once per kind, not once per batch.
    if (this.warned.has(p.kind)) return
    this.warned.add(p.kind)
    process.emitWarning(`pulse-proxy sdk: dropped ${p.traces} trace(s) (${p.kind}): ${p.message}; further drops of this kind are only counted in stats()`, 'PulseSdkWarning')
  }
}
