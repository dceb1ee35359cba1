import { str } from '../providers/json.js'
import { anthropicStopToOpenAI } from '../providers/translate/stop-reasons.js'
import { emptyUsage, toOpenAIUsage } from '../providers/usage.js'
import type { OpenAIChunk } from '../providers/wire-openai.js'
import { AnthropicEventReader } from './anthropic-events.js'
import type { MachineStep, StreamMachine, StreamSummary } from './pipeline.js'
import { DONE, encodeComment, encodeEvent } from './sse-encode.js'

export interface TranslateStreamOptions {
  provider: string
  /** Model to report until `message_start` names the real one. */
  model: string
  /** The client asked for `stream_options.include_usage`: end with a usage chunk. */
  includeUsage: boolean
  /** Seconds, for `created`. */
  created: number
}

/**
 * Anthropic upstream → OpenAI `chat.completion.chunk` events. Text deltas become `delta.content`;
 * a `tool_use` block becomes a `tool_calls` entry whose `input_json_delta`s stream as
 * `function.arguments`; `message_delta.stop_reason` becomes the `finish_reason` chunk;
 * `message_stop` becomes the usage chunk (when asked for) and `data: [DONE]`.
 */
export class AnthropicToOpenAIMachine implements StreamMachine {
  private readonly reader: AnthropicEventReader
  private readonly opts: TranslateStreamOptions
  /** Anthropic content-block index → OpenAI tool_calls index. */
  private readonly toolIndex = new Map<number, number>()
  private tools = 0

  constructor (opts: TranslateStreamOptions) {
    this.opts = opts
    this.reader = new AnthropicEventReader(opts.provider)
  }

  private chunk (delta: OpenAIChunk['choices'][number]['delta'], finish: string | null = null): string {
    const c: OpenAIChunk = {
      id: this.reader.id ?? 'msg_unknown',
      object: 'chat.completion.chunk',
      created: this.opts.created,
      model: this.reader.model ?? this.opts.model,
      choices: [{ index: 0, delta, finish_reason: finish, logprobs: null }]
    }
    return encodeEvent(JSON.stringify(c))
  }

  onEvent (event: string | undefined, data: string): MachineStep {
    const ev = this.reader.read(event, data)
    switch (ev.kind) {
      case 'fault':
        return { out: '', fault: ev.fault }
      case 'message_start':
        return { out: this.chunk({ role: 'assistant', content: '' }) }
      case 'block_start': {
        if (ev.block.type === 'tool_use') {
          const index = this.tools++
          this.toolIndex.set(ev.index, index)
          const call = { index, id: str(ev.block.id) ?? `call_${index}`, type: 'function' as const, function: { name: str(ev.block.name) ?? '', arguments: '' } }
          return { out: this.chunk({ tool_calls: [call] }), content: true }
        }
        const text = ev.block.type === 'text' ? str(ev.block.text) : undefined
        return text === undefined || text === '' ? { out: '' } : { out: this.chunk({ content: text }), text }
      }
      case 'block_delta': {
        const text = str(ev.delta.text)
        if (ev.delta.type === 'text_delta' && text !== undefined) return { out: this.chunk({ content: text }), text }
        const partial = str(ev.delta.partial_json)
        const index = this.toolIndex.get(ev.index)
        if (ev.delta.type === 'input_json_delta' && partial !== undefined && index !== undefined) {
          return { out: this.chunk({ tool_calls: [{ index, function: { arguments: partial } }] }), content: true }
        }
        // Thinking and signature deltas have no place in a chat.completion.chunk.
        return { out: '' }
      }
      case 'message_delta':
        return ev.stopReason === undefined ? { out: '' } : { out: this.chunk({}, anthropicStopToOpenAI(ev.stopReason)) }
      case 'message_stop': {
        let out = ''
        if (this.opts.includeUsage) {
          const c: OpenAIChunk = {
            id: this.reader.id ?? 'msg_unknown',
            object: 'chat.completion.chunk',
            created: this.opts.created,
            model: this.reader.model ?? this.opts.model,
            choices: [],
            usage: toOpenAIUsage(this.reader.usage ?? emptyUsage())
          }
          out += encodeEvent(JSON.stringify(c))
        }
        return { out: out + DONE, terminal: true }
      }
      case 'ping':
        // Keeps idle client connections alive, as the upstream intended.
        return { out: encodeComment('ping') }
      default:
        return { out: '' }
    }
  }

  onComment (text: string): string {
    return encodeComment(text)
  }

  missingTerminal (): string {
    return this.reader.missingTerminal()
  }

  state (): Pick<StreamSummary, 'usage' | 'finishReason' | 'model' | 'id'> {
    return this.reader.state()
  }
}
