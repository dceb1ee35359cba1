import type { Writable } from 'node:stream'

/**
 * A proxied SSE answer on its way to the client. The stream pump writes into it as upstream
 * chunks arrive; the route starts it on the client's response once the headers are out, and
 * what was written before that is kept until then. It writes to the response itself, with no
 * Readable and pipe in between: those (their state, listeners and end-of-stream tracking) were
 * a seventh of what a streamed call allocated.
 */
// Kept before the route starts the answer; past this the upstream waits for `start`.
const EARLY_BYTES = 64 * 1024

export class SseAnswer {
  private res: Writable | undefined
  private early: Array<string | Buffer> = []
  private earlyBytes = 0
  private ended = false
  private gone = false
  private readonly onDrain: () => void
  private readonly onClientGone: () => void

  /**
   * @param onDrain the client took what was written: the pump may read the upstream again
   * @param onClientGone the client's connection closed before the answer ended
   */
  constructor (onDrain: () => void, onClientGone: () => void) {
    this.onDrain = onDrain
    this.onClientGone = onClientGone
  }

  /** Start writing to the client's response (its head already written). */
  start (res: Writable): void {
    this.res = res
    res.on('drain', this.onDrain)
    res.once('close', () => {
      res.off('drain', this.onDrain)
      if (!res.writableFinished) this.clientGone()
    })
    const early = this.early
    this.early = []
    for (const chunk of early) res.write(chunk)
    if (this.ended) {
      res.end()
      return
    }
    // Gone already (the client left while the upstream answered): nobody will ask for more.
    if ((res as Writable & { destroyed?: boolean }).destroyed === true) this.clientGone()
    else this.onDrain()
  }

  /** The answer cannot be written (its head could not be): the call ends as if the client had left. */
  abandon (): void {
    this.ended = true
    this.early = []
    this.clientGone()
  }

  /** Returns false when the client is slow: stop reading the upstream until `onDrain`. */
  write (chunk: string | Buffer): boolean {
    if (chunk.length === 0 || this.ended) return true
    if (this.res === undefined) {
      this.early.push(chunk)
      this.earlyBytes += chunk.length
      return this.earlyBytes < EARLY_BYTES
    }
    return this.res.write(chunk)
  }

  private clientGone (): void {
    if (this.gone) return
    this.gone = true
    this.onClientGone()
  }

  end (): void {
    if (this.ended) return
    this.ended = true
    this.res?.end()
  }
}
