import type { Dispatcher } from 'undici'
import { errors, util } from 'undici'
import type { UpstreamRequest } from './providers/types.js'
import type { CallSignal, UpstreamResponse } from './upstream.js'

/** Where an upstream body's chunks go, as they arrive. */
export interface BodySink {
  /** One chunk; returning false pauses the upstream until `UpstreamBody.resume()`. */
  data: (chunk: Buffer) => boolean
  end: () => void
  error: (err: Error) => void
}

// Chunks kept while nobody reads yet (they arrive with the headers, before the caller's await
// returns); past this the upstream socket is paused.
const BUFFER_BYTES = 64 * 1024

/**
 * An upstream response body fed straight by undici's dispatch callbacks. It costs less than the
 * Node Readable undici's `request()` makes (no stream state, no event per chunk, no async
 * resource), which counts on every proxied call. Read it once: with `consume()` (the proxy's own
 * paths), `text()`, or as an async iterable (what `UpstreamResponse` promises to a host's code).
 */
export class UpstreamBody implements AsyncIterable<Uint8Array> {
  private sink: BodySink | undefined
  private buffered: Buffer[] = []
  private bufferedBytes = 0
  private state: 'open' | 'ended' | 'failed' = 'open'
  private failure: Error | undefined
  private paused = false
  /** We told undici to stop reading (onData returned false). */
  private upstreamPaused = false
  /** undici's: continue reading a paused response. */
  private readonly resumeUpstream: () => void
  private readonly abortUpstream: (err: Error) => void
  private readonly onSettled: () => void

  constructor (resumeUpstream: () => void, abortUpstream: (err: Error) => void, onSettled: () => void) {
    this.resumeUpstream = resumeUpstream
    this.abortUpstream = abortUpstream
    this.onSettled = onSettled
  }

  /** Start delivering chunks (those already received first). One reader per body. */
  consume (sink: BodySink): void {
    if (this.sink !== undefined) throw new Error('pulse-proxy: an upstream body is read once')
    this.sink = sink
    this.flush()
    this.continueUpstream()
  }

  /** A sink that returned false wants chunks again. */
  resume (): void {
    if (!this.paused) return
    this.paused = false
    this.flush()
    this.continueUpstream()
  }

  private continueUpstream (): void {
    if (!this.upstreamPaused || this.paused || this.state !== 'open') return
    this.upstreamPaused = false
    this.resumeUpstream()
  }

  /** The whole body as UTF-8 text. */
  text (): Promise<string> {
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = []
      this.consume({
        data: (chunk) => { chunks.push(chunk); return true },
        end: () => { resolve(utf8Of(chunks)) },
        error: reject
      })
    })
  }

  /**
   * Stop reading: the upstream request is aborted (its socket closed) unless it already ended. A
   * reader still attached gets the error (as a destroyed Readable's would), and so does a later one.
   */
  destroy (err?: Error): void {
    if (this.state !== 'open') return
    this.fail(err ?? new errors.RequestAbortedError())
    this.abortUpstream(this.failure as Error)
  }

  async * [Symbol.asyncIterator] (): AsyncIterator<Uint8Array> {
    const queue: Buffer[] = []
    let wake: (() => void) | undefined
    let ended = false
    let failed: Error | undefined
    const signal = () => { const w = wake; wake = undefined; w?.() }
    this.consume({
      data: (chunk) => { queue.push(chunk); signal(); return queue.length < 16 },
      end: () => { ended = true; signal() },
      error: (err) => { failed = err; signal() }
    })
    try {
      for (;;) {
        const chunk = queue.shift()
        if (chunk !== undefined) {
          if (queue.length === 0) this.resume()
          yield chunk
          continue
        }
        if (failed !== undefined) throw failed
        if (ended) return
        await new Promise<void>((resolve) => { wake = resolve })
      }
    } finally {
      // Left early (break, throw): nobody will read the rest.
      if (!ended && failed === undefined) this.destroy()
    }
  }

  // ---- fed by the dispatch handler ----

  /** Returns false to pause the upstream. */
  onData (chunk: Buffer): boolean {
    if (this.state !== 'open') return true
    if (this.sink !== undefined && !this.paused && this.buffered.length === 0) {
      if (this.sink.data(chunk)) return true
      // The sink may have destroyed the body while handling the chunk.
      this.paused = this.state === 'open'
      this.upstreamPaused = this.paused
      return !this.paused
    }
    this.buffered.push(chunk)
    this.bufferedBytes += chunk.length
    const more = this.sink === undefined && this.bufferedBytes < BUFFER_BYTES
    if (!more) this.upstreamPaused = true
    return more
  }

  onEnd (): void {
    if (this.state !== 'open') return
    this.state = 'ended'
    this.onSettled()
    this.flush()
  }

  onError (err: Error): void {
    if (this.state !== 'open') return
    this.fail(err)
  }

  /** Failed now: what was kept is dropped, and a reader learns it at once, even a paused one. */
  private fail (err: Error): void {
    this.state = 'failed'
    this.failure = err
    this.buffered = []
    this.bufferedBytes = 0
    this.paused = false
    this.onSettled()
    this.flush()
  }

  private flush (): void {
    const sink = this.sink
    if (sink === undefined) return
    while (this.buffered.length > 0 && !this.paused) {
      const chunk = this.buffered.shift() as Buffer
      this.bufferedBytes -= chunk.length
      if (!sink.data(chunk)) this.paused = true
      // The sink destroyed the body meanwhile: its error has been delivered.
      if (this.sink !== sink) return
    }
    if (this.buffered.length > 0 || this.paused) return
    if (this.state === 'ended') {
      this.sink = DONE
      sink.end()
    } else if (this.state === 'failed') {
      this.sink = DONE
      sink.error(this.failure as Error)
    }
  }
}

/** Chunks of a whole body as UTF-8 text (one chunk, the common case, without a copy). */
export function utf8Of (chunks: Buffer[]): string {
  return chunks.length === 1 ? (chunks[0] as Buffer).toString('utf8') : Buffer.concat(chunks).toString('utf8')
}

// A body that delivered its end or error keeps this sink, so nothing is delivered twice.
const DONE: BodySink = { data: () => true, end: () => {}, error: () => {} }

/**
 * One upstream call through undici's dispatch API: undici's handler callbacks (the form its own
 * `request()` implements), resolving with the status and headers and an `UpstreamBody`.
 */
class UpstreamCall implements Dispatcher.DispatchHandler {
  private readonly resolve: (res: UpstreamResponse) => void
  private readonly reject: (err: Error) => void
  private readonly signal: CallSignal
  private abort: ((err: Error) => void) | undefined
  private body: UpstreamBody | undefined
  private settled = false
  private readonly onAbort = () => {
    const err = new errors.RequestAbortedError()
    if (this.body !== undefined) {
      // Mid-body: the reader sees the abort as an error, and undici closes the socket.
      this.body.onError(err)
      this.abort?.(err)
    } else {
      this.abort?.(err)
    }
  }

  constructor (signal: CallSignal, resolve: (res: UpstreamResponse) => void, reject: (err: Error) => void) {
    this.signal = signal
    this.resolve = resolve
    this.reject = reject
    if (signal instanceof EventTarget) signal.addEventListener('abort', this.onAbort)
    else signal.on('abort', this.onAbort)
  }

  onConnect (abort: (err?: Error) => void): void {
    this.abort = abort
    if (this.signal.aborted) abort(new errors.RequestAbortedError())
  }

  onHeaders (statusCode: number, rawHeaders: Buffer[], resume: () => void): boolean {
    // 1xx informational answers come before the real one.
    if (statusCode < 200) return true
    const abort = this.abort as (err: Error) => void
    this.body = new UpstreamBody(resume, abort, this.detach)
    this.resolve({ statusCode, headers: util.parseHeaders(rawHeaders) as UpstreamResponse['headers'], body: this.body })
    return true
  }

  onData (chunk: Buffer): boolean {
    return this.body === undefined ? true : this.body.onData(chunk)
  }

  onComplete (): void {
    if (this.body === undefined) this.fail(Object.assign(new Error('the upstream answered without a final status'), { code: 'UND_ERR_INFO' }))
    else this.body.onEnd()
  }

  onError (err: Error): void {
    if (this.body === undefined) this.fail(err)
    else this.body.onError(err)
  }

  private fail (err: Error): void {
    this.detach()
    this.reject(err)
  }

  private readonly detach = () => {
    if (this.settled) return
    this.settled = true
    if (this.signal instanceof EventTarget) this.signal.removeEventListener('abort', this.onAbort)
    else this.signal.off('abort', this.onAbort)
  }
}

// Provider URLs repeat (a base URL and a few paths): parsed once each, as undici's request()
// would parse every one (normalised and percent-encoded by WHATWG URL rules).
const split = new Map<string, { origin: string, path: string }>()
const SPLIT_CACHE_MAX = 256

/** `req.url` as undici's dispatch takes it: an origin and a path (with its query). */
function splitUrl (url: string): { origin: string, path: string } {
  let parts = split.get(url)
  if (parts === undefined) {
    const u = new URL(url)
    parts = { origin: u.origin, path: `${u.pathname}${u.search}` }
    if (split.size >= SPLIT_CACHE_MAX) split.clear()
    split.set(url, parts)
  }
  return parts
}

export function dispatchUpstream (dispatcher: Dispatcher, req: UpstreamRequest, signal: CallSignal): Promise<UpstreamResponse> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(new errors.RequestAbortedError())
      return
    }
    const { origin, path } = splitUrl(req.url)
    dispatcher.dispatch({ origin, path, method: req.method as Dispatcher.HttpMethod, headers: req.headers, body: req.body ?? null }, new UpstreamCall(signal, resolve, reject))
  })
}
