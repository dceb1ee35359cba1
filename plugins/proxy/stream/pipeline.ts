import type { Usage, WireFormat } from '../providers/types.js'
import { errorEvent, malformedFault, truncatedFault, type StreamFault } from './faults.js'
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
  /** SSE text to write to the client now (may be empty). */
  out: string
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
  terminal?: boolean
  fault?: StreamFault
  /** Text the assistant produced in this event (also marks the first token). */
  text?: string
  /** Non-text content (e.g. a tool call) started: counts as the first token too. */
  content?: boolean
}

export interface StreamMachine {
  onEvent: (event: string | undefined, data: string) => MachineStep
  /** SSE comments (heartbeats): what, if anything, to forward. */
  onComment: (text: string) => string
  /** Which terminal signal is missing, for the truncation message. */
  missingTerminal: () => string
  state: () => Pick<StreamSummary, 'usage' | 'finishReason' | 'model' | 'id'>
}

export const OUTPUT_TEXT_CAP = 32_768

export class SsePipeline implements StreamPipeline {
  readonly clientFormat: WireFormat
  private readonly parser = new SseParser()
  private readonly machine: StreamMachine
  private readonly provider: string
  private readonly requestId: string | undefined
  private finished = false
  private complete = false
  private fault: StreamFault | undefined
  private text = ''
  private sawContent = false

  constructor (machine: StreamMachine, clientFormat: WireFormat, provider: string, requestId?: string) {
    this.machine = machine
    this.clientFormat = clientFormat
    this.provider = provider
    this.requestId = requestId
  }

  push (chunk: Uint8Array | string): StreamStep {
    if (this.finished) return { out: '', done: true }
    return this.run(this.parser.push(chunk))
  }

  end (): StreamStep {
    if (this.finished) return { out: '', done: true }
    const { items, partial } = this.parser.end()
    const step = this.run(items)
    if (this.finished) return step
    const detail = partial ? `cut mid-event, ${this.machine.missingTerminal()}` : this.machine.missingTerminal()
    return { ...step, out: step.out + this.stop(truncatedFault(this.provider, detail)), done: true, fault: this.fault }
  }

  fail (fault: StreamFault): string {
    if (this.finished) return ''
    return this.stop(fault)
  }

  summary (): StreamSummary {
    const s: StreamSummary = { complete: this.complete, outputText: this.text, ...this.machine.state() }
    if (this.fault !== undefined) s.fault = this.fault
    return s
  }

  private stop (fault: StreamFault): string {
    this.finished = true
    this.fault = fault
    return errorEvent(this.clientFormat, fault, this.requestId)
  }

  private run (items: ReturnType<SseParser['push']>): StreamStep {
    let out = ''
    let firstToken = false
    for (const item of items) {
      if (item.type === 'comment') {
        out += this.machine.onComment(item.text)
        continue
      }
      let step: MachineStep
      try {
        step = this.machine.onEvent(item.event, item.data)
      } catch (err) {
        // A machine throws only on shapes it cannot read; that is the upstream's fault, not a crash.
        step = { out: '', fault: malformedFault(this.provider, err instanceof Error ? err.message : 'unreadable event') }
      }
      out += step.out
      if ((step.text !== undefined && step.text !== '') || step.content === true) {
        if (!this.sawContent) firstToken = true
        this.sawContent = true
      }
      if (step.text !== undefined && this.text.length < OUTPUT_TEXT_CAP) {
        this.text = (this.text + step.text).slice(0, OUTPUT_TEXT_CAP)
      }
      if (step.fault !== undefined) {
        return { out: out + this.stop(step.fault), done: true, fault: step.fault, firstToken }
      }
      if (step.terminal === true) {
        this.finished = true
        this.complete = true
        return { out, done: true, firstToken }
      }
    }
    return { out, done: false, firstToken }
  }
}
