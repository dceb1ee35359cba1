/**
 * pulse-proxy/sdk — traces calls of the official OpenAI and Anthropic clients (and OpenRouter
 * through the OpenAI client) and batches them to a pulse-proxy server's ingest route.
 *
 *   const pulse = initPulse({ apiKey, apiUrl })      // an instance, also made the module default
 *   const openai = pulse.observe(new OpenAI())       // or the module-level observe(new OpenAI())
 *   ...
 *   await pulse.shutdown()                           // flush and stop before exit
 *
 * Everything lives in the instance. The one piece of module state is the default instance used
 * by the module-level `observe`/`flush`/`shutdown`/`stats`, set by `initPulse()` only
 * (`createPulse()` makes an instance without touching it).
 */
import type { TraceContext } from './call.js'
import type { PulseOptions } from './options.js'
import { patchClient, type ProviderOption } from './providers.js'
import { mergeContext, observeOptions, Pulse, type FlushOptions, type ObserveOptions, type PulseStats } from './pulse.js'
import type { FlushResult } from './queue.js'

export { Pulse, type FlushOptions, type ObserveOptions, type PulseStats } from './pulse.js'
export type { FlushResult, DropCounts, QueueStats } from './queue.js'
export { PulseSdkOptions, type PulseOptions, type DeliveryProblem } from './options.js'
export type { TraceContext } from './call.js'
export { detectProvider, type ProviderOption } from './providers.js'
export { ObserveError } from './errors.js'
export type { Trace } from '../plugins/traces/schemas.js'

let defaultPulse: Pulse | undefined

/** A new SDK instance, not made the default. */
export function createPulse (options: PulseOptions): Pulse {
  return new Pulse(options)
}

/**
 * A new SDK instance, made the module default (module-level `observe`/`flush`/`shutdown` use it).
 * Calling it again replaces the default; shut the previous instance down if you no longer need it.
 */
export function initPulse (options: PulseOptions): Pulse {
  defaultPulse = new Pulse(options)
  return defaultPulse
}

/** The current default instance, if `initPulse()` was called. */
export function getPulse (): Pulse | undefined {
  return defaultPulse
}

/**
 * Instrument `client` for the default instance, resolved at each call: calls made before
 * `initPulse()` (or while it is disabled) pass through untraced, and after a later `initPulse()`
 * they go to the new default. Returns the same client.
 */
export function observe<C extends object> (client: C, providerOrOptions?: ProviderOption | ObserveOptions): C {
  const { provider, ...context } = observeOptions(providerOrOptions)
  patchClient(client, provider, {
    sink: () => (defaultPulse?.enabled === true ? defaultPulse : undefined),
    context: (): TraceContext => defaultPulse?.binding(context).context() ?? mergeContext(context, undefined)
  })
  return client
}

const EMPTY: FlushResult = Object.freeze({ acknowledged: 0, dropped: 0, pending: 0, timedOut: false })

/** `flush()` of the default instance (resolves at once without one). */
export function flush (opts?: FlushOptions): Promise<FlushResult> {
  return defaultPulse?.flush(opts) ?? Promise.resolve({ ...EMPTY })
}

/** `shutdown()` of the default instance (resolves at once without one). */
export function shutdown (opts?: FlushOptions): Promise<FlushResult> {
  return defaultPulse?.shutdown(opts) ?? Promise.resolve({ ...EMPTY })
}

/** `stats()` of the default instance, or undefined without one. */
export function stats (): PulseStats | undefined {
  return defaultPulse?.stats()
}

/** `withContext()` of the default instance (runs `fn` as is without one). */
export function withContext<T> (context: TraceContext, fn: () => T): T {
  return defaultPulse !== undefined ? defaultPulse.withContext(context, fn) : fn()
}
