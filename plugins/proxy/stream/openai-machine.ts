import { arr, isObject, obj, parseJson, str } from '../providers/json.js'
import type { Usage } from '../providers/types.js'
import { fromOpenAIUsage } from '../providers/usage.js'
import { DeltaTemplate } from './delta-template.js'
import { malformedFault, truncatedFault, upstreamErrorFault } from './faults.js'
import type { MachineStep, StreamMachine, StreamSummary } from './pipeline.js'
import { DONE, encodeComment, encodeEvent } from './sse-encode.js'

const MAX_LEARN_TRIES = 3

export interface OpenAIMachineOptions {
  provider: string
  /** The proxy added `include_usage` and the client did not ask: drop the usage-only chunk. */
  hideUsage: boolean
  /** Read `usage.cost` as USD (OpenRouter). */
  reportsCost: boolean
}

/**
 * OpenAI-format upstream → OpenAI-format client. Events are passed on as they are, except the
 * usage chunk the client did not ask for. Terminal: `[DONE]` after at least one `finish_reason`.
 */
export class OpenAIStreamMachine implements StreamMachine {
  private readonly opts: OpenAIMachineOptions
  private finishReason: string | undefined
  private usage: Usage | undefined
  private model: string | undefined
  private id: string | undefined
  /** The content-delta shape this stream repeats, once seen (see DeltaTemplate). */
  private template: DeltaTemplate | undefined
  /** Content deltas read in full that could have taught a template: a stream whose deltas never repeat stops trying. */
  private learnTries = 0

  constructor (opts: OpenAIMachineOptions) {
    this.opts = opts
  }

  onEvent (_event: string | undefined, data: string): MachineStep {
    if (data.trim() === '[DONE]') {
      if (this.finishReason === undefined) {
        return { out: '', fault: truncatedFault(this.opts.provider, '[DONE] arrived without a finish_reason') }
      }
      return { out: DONE, terminal: true }
    }
    const chunk = parseJson(data)
    if (!isObject(chunk)) return { out: '', fault: malformedFault(this.opts.provider, 'data is not a JSON object') }
    const error = obj(chunk.error)
    if (error !== undefined) {
      return { out: '', fault: upstreamErrorFault(this.opts.provider, str(error.type) ?? str(error.code), str(error.message)) }
    }
    const choices = arr(chunk.choices)
    if (choices === undefined) return { out: '', fault: malformedFault(this.opts.provider, 'chunk without choices') }
    this.id ??= str(chunk.id)
    this.model ??= str(chunk.model)
    let text = ''
    let content = false
    for (const choice of choices) {
      const c = obj(choice)
      const reason = str(c?.finish_reason)
      if (reason !== undefined) this.finishReason = reason
      const delta = obj(c?.delta)
      const piece = str(delta?.content)
      if (piece !== undefined) text += piece
      if (arr(delta?.tool_calls) !== undefined) content = true
    }
    const usage = chunk.usage === undefined ? undefined : fromOpenAIUsage(chunk.usage, this.opts.reportsCost)
    if (usage !== undefined) {
      // Usage arrives once, in the last chunk; a later one replaces it rather than adding to it.
      this.usage = usage
      if (this.opts.hideUsage) {
        if (choices.length === 0) return { out: '', text, content }
        const { usage: _hidden, ...rest } = chunk
        return { out: encodeEvent(JSON.stringify(rest)), text, content }
      }
    }
    if (this.learnTries < MAX_LEARN_TRIES && !content && choices.length === 1) {
      this.learnTries++
      this.template = DeltaTemplate.learn(data, chunk) ?? this.template
    }
    // Unchanged: the pipeline passes the upstream's own bytes on.
    return { out: '', same: true, text, content }
  }

  onDataBytes (buf: Buffer, start: number, end: number): MachineStep | undefined {
    const text = this.template?.match(buf, start, end)
    // Same bytes as the template around the content: the same step as onEvent's, with this text.
    return text === undefined ? undefined : { out: '', same: true, text }
  }

  onComment (text: string): string {
    return encodeComment(text)
  }

  missingTerminal (): string {
    return this.finishReason === undefined ? 'no finish_reason and no [DONE]' : 'finish_reason seen but no [DONE]'
  }

  state (): Pick<StreamSummary, 'usage' | 'finishReason' | 'model' | 'id'> {
    return { usage: this.usage, finishReason: this.finishReason, model: this.model, id: this.id }
  }
}
