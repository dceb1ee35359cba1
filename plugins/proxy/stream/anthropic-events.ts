import { isObject, num, obj, parseJson, str, type JsonObject } from '../providers/json.js'
import { anthropicStopToOpenAI } from '../providers/translate/stop-reasons.js'
import type { Usage } from '../providers/types.js'
import { fromAnthropicUsage } from '../providers/usage.js'
import { malformedFault, upstreamErrorFault, type StreamFault } from './faults.js'
import type { StreamSummary } from './pipeline.js'

/** One Anthropic stream event, read and checked. */
export type AnthropicEvent =
  | { kind: 'message_start', json: JsonObject }
  | { kind: 'block_start', json: JsonObject, index: number, block: JsonObject }
  | { kind: 'block_delta', json: JsonObject, index: number, delta: JsonObject }
  | { kind: 'block_stop', json: JsonObject, index: number }
  | { kind: 'message_delta', json: JsonObject, stopReason?: string }
  | { kind: 'message_stop', json: JsonObject }
  | { kind: 'ping', json: JsonObject }
  | { kind: 'other', json: JsonObject }
  | { kind: 'fault', fault: StreamFault }

/**
 * Reads Anthropic stream events and keeps what a trace needs. Usage follows the event semantics:
 * `message_start` carries input and cache tokens; each `message_delta` carries totals so far
 * (output tokens are cumulative), so a later value replaces the earlier one.
 */
export class AnthropicEventReader {
  private readonly provider: string
  usage: Usage | undefined
  stopReason: string | undefined
  model: string | undefined
  id: string | undefined
  started = false

  constructor (provider: string) {
    this.provider = provider
  }

  read (event: string | undefined, data: string): AnthropicEvent {
    const json = parseJson(data)
    if (!isObject(json)) return { kind: 'fault', fault: malformedFault(this.provider, `${event ?? 'event'} data is not a JSON object`) }
    const type = str(json.type) ?? event
    if (type === 'error') {
      const error = obj(json.error)
      return { kind: 'fault', fault: upstreamErrorFault(this.provider, str(error?.type), str(error?.message)) }
    }
    if (type !== 'message_start' && type !== 'ping' && !this.started) {
      return { kind: 'fault', fault: malformedFault(this.provider, `${type ?? 'event'} before message_start`) }
    }
    switch (type) {
      case 'message_start': {
        const message = obj(json.message)
        if (message === undefined) return { kind: 'fault', fault: malformedFault(this.provider, 'message_start without message') }
        this.started = true
        this.id = str(message.id)
        this.model = str(message.model)
        this.usage = fromAnthropicUsage(message.usage)
        return { kind: 'message_start', json }
      }
      case 'content_block_start': {
        const index = num(json.index)
        const block = obj(json.content_block)
        if (index === undefined || block === undefined) return { kind: 'fault', fault: malformedFault(this.provider, 'content_block_start without index or block') }
        return { kind: 'block_start', json, index, block }
      }
      case 'content_block_delta': {
        const index = num(json.index)
        const delta = obj(json.delta)
        if (index === undefined || delta === undefined) return { kind: 'fault', fault: malformedFault(this.provider, 'content_block_delta without index or delta') }
        return { kind: 'block_delta', json, index, delta }
      }
      case 'content_block_stop':
        return { kind: 'block_stop', json, index: num(json.index) ?? -1 }
      case 'message_delta': {
        const reason = str(obj(json.delta)?.stop_reason)
        if (reason !== undefined) this.stopReason = reason
        this.usage = fromAnthropicUsage(json.usage, this.usage)
        return reason === undefined ? { kind: 'message_delta', json } : { kind: 'message_delta', json, stopReason: reason }
      }
      case 'message_stop':
        return { kind: 'message_stop', json }
      case 'ping':
        return { kind: 'ping', json }
      default:
        // Anthropic documents that new event types may appear; they are not an error.
        return { kind: 'other', json }
    }
  }

  state (): Pick<StreamSummary, 'usage' | 'finishReason' | 'model' | 'id'> {
    return { usage: this.usage, finishReason: anthropicStopToOpenAI(this.stopReason) ?? undefined, model: this.model, id: this.id }
  }

  missingTerminal (): string {
    if (!this.started) return 'no message_start'
    return this.stopReason === undefined ? 'no stop_reason and no message_stop' : 'stop_reason seen but no message_stop'
  }
}
