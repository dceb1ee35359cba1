import { str } from '../providers/json.js'
import { AnthropicEventReader } from './anthropic-events.js'
import type { MachineStep, StreamMachine, StreamSummary } from './pipeline.js'
import { encodeComment, encodeEvent } from './sse-encode.js'

/** Anthropic upstream → Anthropic client: events pass through unchanged; terminal is `message_stop`. */
export class AnthropicStreamMachine implements StreamMachine {
  private readonly reader: AnthropicEventReader

  constructor (provider: string) {
    this.reader = new AnthropicEventReader(provider)
  }

  onEvent (event: string | undefined, data: string): MachineStep {
    const ev = this.reader.read(event, data)
    if (ev.kind === 'fault') return { out: '', fault: ev.fault }
    const out = encodeEvent(data, event ?? str(ev.json.type))
    if (ev.kind === 'message_stop') return { out, terminal: true }
    if (ev.kind === 'block_delta') {
      const text = str(ev.delta.text)
      return { out, text: text ?? '', content: str(ev.delta.partial_json) !== undefined }
    }
    if (ev.kind === 'block_start') return { out, content: ev.block.type === 'tool_use' }
    return { out }
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
