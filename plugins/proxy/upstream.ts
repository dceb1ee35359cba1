import { EventEmitter } from 'node:events'
import { Readable } from 'node:stream'
import { Agent, type Dispatcher } from 'undici'
import type { ProviderAdapter, UpstreamRequest } from './providers/types.js'
import { dispatchUpstream, UpstreamBody, utf8Of } from './upstream-body.js'

/** An upstream answer, from undici or from an in-process transport (mock). */
export interface UpstreamResponse {
  statusCode: number
  headers: Record<string, string | string[] | undefined>
  body: AsyncIterable<Uint8Array> & { destroy?: (err?: Error) => unknown }
}

export interface UpstreamTimeouts {
  headersMs: number
  idleMs: number
}

/**
 * Aborted when the client goes away. One is made per proxied request: an EventEmitter, which
 * undici accepts as a signal, costs a fraction of an AbortController and its EventTarget
 * listener (several µs a call on Node 20, under load). Code that needs a real AbortSignal (a
 * host's callUpstream wrapper, a local transport) gets one from `abortSignal`, made on first use.
 */
export class ClientSignal extends EventEmitter {
  aborted = false
  private controller: AbortController | undefined

  abort (): void {
    if (this.aborted) return
    this.aborted = true
    this.controller?.abort()
    this.emit('abort')
  }

  get abortSignal (): AbortSignal {
    if (this.controller === undefined) {
      this.controller = new AbortController()
      if (this.aborted) this.controller.abort()
    }
    return this.controller.signal
  }
}

/** What aborts an upstream call inside the proxy: the routes' ClientSignal, or any AbortSignal. */
export type CallSignal = ClientSignal | AbortSignal

export function abortSignalOf (signal: CallSignal): AbortSignal {
  return signal instanceof ClientSignal ? signal.abortSignal : signal
}

/**
 * How the proxy reaches an upstream. Part 2's retries, breaker and fallbacks wrap this one
 * function (a host can too: the `callUpstream` option); nothing else in the proxy sends a request.
 */
export type CallUpstream = (adapter: ProviderAdapter, req: UpstreamRequest, signal: AbortSignal) => Promise<UpstreamResponse>

/** The proxy's own form of it: takes the cheaper ClientSignal too. */
export type SendUpstream = (adapter: ProviderAdapter, req: UpstreamRequest, signal: CallSignal) => Promise<UpstreamResponse>

export interface UpstreamClientOptions {
  connectMs: number
  headersMs: number
  idleMs: number
  connections?: number
  keepAliveMs: number
}

/** One keep-alive connection pool per upstream origin, with the proxy's timeouts. */
export function createAgent (o: UpstreamClientOptions): Agent {
  return new Agent({
    connect: { timeout: o.connectMs },
    headersTimeout: o.headersMs,
    // undici's body timeout is the time between two body chunks: the stream idle timeout.
    bodyTimeout: o.idleMs,
    ...(o.connections !== undefined ? { connections: o.connections } : {}),
    keepAliveTimeout: o.keepAliveMs,
    keepAliveMaxTimeout: Math.max(o.keepAliveMs, 600_000)
  })
}

export function createCallUpstream (dispatcher: Dispatcher): SendUpstream {
  return (adapter, req, signal) => adapter.transport !== undefined
    ? adapter.transport.handle(req, abortSignalOf(signal))
    : dispatchUpstream(dispatcher, req, signal)
}

/** An undici / socket error, classified for the envelope and the trace. */
export type TransportFailureKind = 'connect_timeout' | 'headers_timeout' | 'idle_timeout' | 'aborted' | 'network'

export function classifyTransportError (err: unknown, signal?: CallSignal): TransportFailureKind {
  if (signal?.aborted === true) return 'aborted'
  const code = (err as { code?: unknown } | null)?.code
  if (code === 'UND_ERR_CONNECT_TIMEOUT') return 'connect_timeout'
  if (code === 'UND_ERR_HEADERS_TIMEOUT') return 'headers_timeout'
  if (code === 'UND_ERR_BODY_TIMEOUT') return 'idle_timeout'
  if (code === 'UND_ERR_ABORTED' || (err as Error | null)?.name === 'AbortError') return 'aborted'
  return 'network'
}

/** What a client may see of a transport error: its code, never a message naming hosts or addresses. */
export function errorCode (err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code
  return typeof code === 'string' ? code : 'network error'
}

/** The whole transport error, for the log. */
export function errorDetail (err: unknown): string {
  const e = err as { code?: unknown, message?: unknown } | null
  const code = typeof e?.code === 'string' ? e.code : undefined
  const message = typeof e?.message === 'string' ? e.message : 'socket error'
  return code === undefined ? message : `${code}: ${message}`
}

/** Read a whole (small) upstream body: error bodies and non-streamed answers. */
export async function readBody (body: AsyncIterable<Uint8Array>): Promise<string> {
  // Our own transport's body, or a Node Readable (undici's request()): both cost less than an
  // async iterator (a promise per chunk), and this runs on every non-streamed call.
  if (body instanceof UpstreamBody) return await body.text()
  if (body instanceof Readable) return await readStream(body)
  const chunks: Buffer[] = []
  for await (const chunk of body) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk))
  return utf8Of(chunks)
}

function readStream (body: Readable): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    body.on('data', (chunk: Buffer | Uint8Array | string) => { chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk)) })
    body.once('end', () => { resolve(utf8Of(chunks)) })
    body.once('error', reject)
    // Destroyed without an error (an abort): not an answer; the same as the iterator's premature close.
    body.once('close', () => { if (!body.readableEnded) reject(Object.assign(new Error('premature close'), { code: 'ERR_STREAM_PREMATURE_CLOSE' })) })
  })
}

export function headerValue (headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const v = headers[name]
  return Array.isArray(v) ? v[0] : v
}
