import type { Usage, WireFormat } from '../providers/types.js'
import { errorEvent, malformedFault, truncatedFault, type StreamFault } from './faults.js'
import { encodeEvent } from './sse-encode.js'
import { SseParser } from './sse-parser.js'

/** What one streamed exchange amounted to: the trace is written from this. */
export interface StreamSummary {
  /** The upstream's terminal event arrived and was passed on. */
  complete: boolean
  fault?: StreamFault
  usage?: Usage
  finishReason?: string
  model?: string
  id?: string
  /** Assistant text the client received, capped (see OUTPUT_TEXT_CAP). */
  outputText: string
}

/** The result of feeding the pipeline: bytes for the client, and whether the stream is over. */
export interface StreamStep {
  /**
   * SSE to write to the client now: text, or the upstream's own bytes when events pass through
   * unchanged (never an empty Buffer: nothing to write is always `''`).
   */
  out: string | Buffer
  /** No more output will follow: write `out`, then end the response (and abort the upstream on a fault). */
  done: boolean
  fault?: StreamFault
  /** This step carried the first content token (for time-to-first-token). */
  firstToken?: boolean
}

/**
 * The stream state machine one proxied stream runs through: upstream bytes in, client SSE out.
 * It knows whether the terminal event arrived, so a cut, stalled or malformed stream ends with
 * a typed error event in the client's format, never a clean end.
 */
export interface StreamPipeline {
  readonly clientFormat: WireFormat
  push: (chunk: Uint8Array | string) => StreamStep
  /** The upstream body ended. */
  end: () => StreamStep
  /** End the stream from outside (idle timeout, socket error, client abort); returns the error event. */
  fail: (fault: StreamFault) => string
  summary: () => StreamSummary
}

/** One upstream SSE event's effect, produced by a provider-specific machine. */
export interface MachineStep {
  out: string
  /**
   * Pass the event on as it came: the pipeline writes the upstream's own bytes when the event was
   * exactly `data: <data>` (else `encodeEvent(data)`), and `out` is ignored.
   */
  same?: boolean
  terminal?: boolean
  fault?: StreamFault
  /** Text the assistant produced in this event (also marks the first token). */
  text?: string
  /** Non-text content (e.g. a tool call) started: counts as the first token too. */
  content?: boolean
}

export interface StreamMachine {
  onEvent: (event: string | undefined, data: string) => MachineStep
  /**
   * The step `onEvent(undefined, data)` would give for a `data:` event handed over as bytes
   * (`buf[start..end)`), when the machine can tell without parsing it; undefined when it cannot,
   * and the pipeline calls `onEvent`.
   */
  onDataBytes?: (buf: Buffer, start: number, end: number) => MachineStep | undefined
  /** SSE comments (heartbeats): what, if anything, to forward. */
  onComment: (text: string) => string
  /** Which terminal signal is missing, for the truncation message. */
  missingTerminal: () => string
  state: () => Pick<StreamSummary, 'usage' | 'finishReason' | 'model' | 'id'>
}

export const OUTPUT_TEXT_CAP = 32_768

const LF = 0x0a
const CR = 0x0d
// `data: ` — the only field of the events that may pass through as bytes.
const DATA_PREFIX = 'data: '

function startsWithData (buf: Buffer, pos: number): boolean {
  return buf[pos] === 0x64 && buf[pos + 1] === 0x61 && buf[pos + 2] === 0x74 && buf[pos + 3] === 0x61 && buf[pos + 4] === 0x3a && buf[pos + 5] === 0x20
}

/** Output being assembled for one push: runs of upstream bytes and re-encoded text, in order. */
class Out {
  private parts: Array<string | Buffer> = []
  /** A run of consecutive pass-through bytes in the current chunk, not yet added to parts. */
  private runBuf: Buffer | undefined
  private runStart = 0
  private runEnd = 0

  bytes (buf: Buffer, start: number, end: number): void {
    if (this.runBuf === buf && this.runEnd === start) {
      this.runEnd = end
      return
    }
    this.flushRun()
    this.runBuf = buf
    this.runStart = start
    this.runEnd = end
  }

  text (s: string): void {
    if (s === '') return
    this.flushRun()
    this.parts.push(s)
  }

  result (): string | Buffer {
    this.flushRun()
    const parts = this.parts
    if (parts.length === 0) return ''
    if (parts.length === 1) return parts[0]!
    if (parts.every((p) => typeof p === 'string')) return parts.join('')
    return Buffer.concat(parts.map((p) => typeof p === 'string' ? Buffer.from(p) : p))
  }

  private flushRun (): void {
    if (this.runBuf === undefined) return
    if (this.runEnd > this.runStart) this.parts.push(this.runBuf.subarray(this.runStart, this.runEnd))
    this.runBuf = undefined
  }
}

type Item = ReturnType<SseParser['push']>[number]

export class SsePipeline implements StreamPipeline {
  readonly clientFormat: WireFormat
  // Created on first need: most streams never leave byte mode (and a parser holds a TextDecoder).
  private sse: SseParser | undefined
  private readonly machine: StreamMachine
  private readonly provider: string
  private readonly requestId: string | undefined
  private finished = false
  private complete = false
  private fault: StreamFault | undefined
  /**
   * The text so far, in pieces joined once at the end: `text += piece` per event would keep a
   * rope of every piece (two objects per event, held with the trace until it is flattened).
   */
  private textParts: string[] = []
  private textLength = 0
  private sawContent = false
  /**
   * Byte mode: while the upstream frames events with LF only (the common case), events are cut
   * out of the bytes directly and those passed on unchanged are written as the upstream's own
   * bytes. The first CR, BOM or string chunk switches to the general parser for good, from an
   * event boundary (the bytes of an unfinished event are handed over with it).
   */
  private bytesMode = true
  private started = false
  /** Bytes of an event not finished yet (byte mode). */
  private pending: Buffer | undefined

  constructor (machine: StreamMachine, clientFormat: WireFormat, provider: string, requestId?: string) {
    this.machine = machine
    this.clientFormat = clientFormat
    this.provider = provider
    this.requestId = requestId
  }

  push (chunk: Uint8Array | string): StreamStep {
    if (this.finished) return { out: '', done: true }
    if (this.bytesMode) {
      let buf = typeof chunk === 'string' ? undefined : Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength)
      if (buf !== undefined && this.pending !== undefined) buf = Buffer.concat([this.pending, buf])
      const bom = !this.started && buf !== undefined && buf.length > 0 && buf[0] === 0xef
      if (buf !== undefined && buf.length > 0) this.started = true
      if (buf !== undefined && !bom && !buf.includes(CR)) return this.pushBytes(buf)
      this.bytesMode = false
      const pending = this.pending
      this.pending = undefined
      if (buf === undefined && pending !== undefined) this.parser().push(pending)
      return this.run(this.parser().push(buf ?? chunk))
    }
    return this.run(this.parser().push(chunk))
  }

  end (): StreamStep {
    if (this.finished) return { out: '', done: true }
    let before: StreamStep | undefined
    if (this.pending !== undefined) {
      // An unfinished event at the end: the general parser decides what it amounts to.
      const pending = this.pending
      this.pending = undefined
      this.bytesMode = false
      before = this.run(this.parser().push(pending))
      if (this.finished) return before
    }
    const { items, partial } = this.parser().end()
    let step = this.run(items)
    if (before !== undefined) step = { ...step, out: concatOut(before.out, step.out), firstToken: before.firstToken === true || step.firstToken === true }
    if (this.finished) return step
    const detail = partial ? `cut mid-event, ${this.machine.missingTerminal()}` : this.machine.missingTerminal()
    return { ...step, out: concatOut(step.out, this.stop(truncatedFault(this.provider, detail))), done: true, fault: this.fault }
  }

  fail (fault: StreamFault): string {
    if (this.finished) return ''
    return this.stop(fault)
  }

  summary (): StreamSummary {
    const s: StreamSummary = { complete: this.complete, outputText: this.outputText(), ...this.machine.state() }
    if (this.fault !== undefined) s.fault = this.fault
    return s
  }

  private outputText (): string {
    const parts = this.textParts
    if (parts.length > 1) this.textParts = [parts.join('')]
    const text = this.textParts[0] ?? ''
    return text.length > OUTPUT_TEXT_CAP ? text.slice(0, OUTPUT_TEXT_CAP) : text
  }

  private parser (): SseParser {
    this.sse ??= new SseParser()
    return this.sse
  }

  private stop (fault: StreamFault): string {
    this.finished = true
    this.fault = fault
    return errorEvent(this.clientFormat, fault, this.requestId)
  }

  /** Byte mode: every complete event of `buf`; what follows the last one waits in `pending`. */
  private pushBytes (buf: Buffer): StreamStep {
    const out = new Out()
    const state = { firstToken: false }
    let pos = 0
    const n = buf.length
    while (pos < n) {
      // Blank lines between events dispatch nothing.
      if (buf[pos] === LF) { pos++; continue }
      const firstLf = buf.indexOf(LF, pos)
      if (firstLf === -1) break
      // Most events are one line: the blank line that ends them follows their first LF.
      const blank = buf[firstLf + 1] === LF ? firstLf : buf.indexOf('\n\n', firstLf + 1)
      if (blank === -1) break
      const end = blank + 2
      let step: StreamStep | undefined
      if (blank === firstLf && startsWithData(buf, pos)) {
        // The common shape, `data: <payload>\n\n`: no parser, and its bytes can pass through as they are.
        const known = this.machine.onDataBytes?.(buf, pos + DATA_PREFIX.length, blank)
        step = known !== undefined
          ? this.apply(known, '', out, state, buf, pos, end)
          : this.item({ type: 'event', data: buf.toString('utf8', pos + DATA_PREFIX.length, blank) }, out, state, buf, pos, end)
      } else {
        // Any other event (comments, several fields): the general parser, which is at an event boundary.
        for (const item of this.parser().push(buf.toString('utf8', pos, end))) {
          step = this.item(item, out, state)
          if (step !== undefined) break
        }
      }
      pos = end
      if (step !== undefined) return step
    }
    this.pending = pos < n ? Buffer.from(buf.subarray(pos)) : undefined
    return { out: out.result(), done: false, firstToken: state.firstToken }
  }

  private run (items: Item[]): StreamStep {
    const out = new Out()
    const state = { firstToken: false }
    for (const item of items) {
      const step = this.item(item, out, state)
      if (step !== undefined) return step
    }
    return { out: out.result(), done: false, firstToken: state.firstToken }
  }

  /** One item through the machine; returns the final step when it ended the stream. */
  private item (item: Item, out: Out, state: { firstToken: boolean }, raw?: Buffer, rawStart = 0, rawEnd = 0): StreamStep | undefined {
    if (item.type === 'comment') {
      out.text(this.machine.onComment(item.text))
      return undefined
    }
    let step: MachineStep
    try {
      step = this.machine.onEvent(item.event, item.data)
    } catch (err) {
      // A machine throws only on shapes it cannot read; that is the upstream's fault, not a crash.
      step = { out: '', fault: malformedFault(this.provider, err instanceof Error ? err.message : 'unreadable event') }
    }
    return this.apply(step, item.data, out, state, raw, rawStart, rawEnd)
  }

  /** A machine's step for one event: its output, first token, text, and the end of the stream. */
  private apply (step: MachineStep, data: string, out: Out, state: { firstToken: boolean }, raw?: Buffer, rawStart = 0, rawEnd = 0): StreamStep | undefined {
    if (step.same === true) {
      if (raw !== undefined) out.bytes(raw, rawStart, rawEnd)
      else out.text(encodeEvent(data))
    } else {
      out.text(step.out)
    }
    if ((step.text !== undefined && step.text !== '') || step.content === true) {
      if (!this.sawContent) state.firstToken = true
      this.sawContent = true
    }
    if (step.text !== undefined && step.text !== '' && this.textLength < OUTPUT_TEXT_CAP) {
      this.textParts.push(step.text)
      this.textLength += step.text.length
    }
    if (step.fault !== undefined) {
      out.text(this.stop(step.fault))
      return { out: out.result(), done: true, fault: step.fault, firstToken: state.firstToken }
    }
    if (step.terminal === true) {
      this.finished = true
      this.complete = true
      return { out: out.result(), done: true, firstToken: state.firstToken }
    }
    return undefined
  }
}

function concatOut (a: string | Buffer, b: string | Buffer): string | Buffer {
  if (typeof a === 'string' && typeof b === 'string') return a + b
  if (a.length === 0) return b
  if (b.length === 0) return a
  return Buffer.concat([typeof a === 'string' ? Buffer.from(a) : a, typeof b === 'string' ? Buffer.from(b) : b])
}
