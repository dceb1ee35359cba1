import { arr, num, obj, str, type JsonObject } from '../json.js'
import { ProviderInputError } from '../types.js'
import type {
  AnthropicContentBlock, AnthropicImageSource, AnthropicMessage, AnthropicRequest, AnthropicTool, AnthropicToolChoice
} from '../wire-anthropic.js'

export interface TranslateRequestOptions {
  model: string
  /** Anthropic requires `max_tokens`; used when the client gave none. */
  defaultMaxTokens: number
}

type Blocks = AnthropicContentBlock[]

/** OpenAI content (string or parts) → plain text, for `system` and tool results. */
function textOf (content: unknown, field: string): string {
  if (typeof content === 'string') return content
  if (content === null || content === undefined) return ''
  const parts = arr(content)
  if (parts === undefined) throw new ProviderInputError(field, `${field} must be a string or an array of parts`)
  return parts.map((p) => str(obj(p)?.text) ?? '').join('')
}

const DATA_URL = /^data:([a-z]+\/[a-z0-9.+-]+);base64,(.*)$/is

function imageSource (url: string, field: string): AnthropicImageSource {
  const m = DATA_URL.exec(url)
  if (m !== null) return { type: 'base64', media_type: (m[1] ?? '').toLowerCase(), data: m[2] ?? '' }
  if (/^https?:\/\//i.test(url)) return { type: 'url', url }
  throw new ProviderInputError(field, `${field}: only https URLs and base64 data URLs are supported for images`)
}

function userBlocks (content: unknown, field: string): string | Blocks {
  if (typeof content === 'string') return content
  const parts = arr(content)
  if (parts === undefined) throw new ProviderInputError(field, `${field} must be a string or an array of parts`)
  return parts.map((part, i): AnthropicContentBlock => {
    const p = obj(part)
    const type = str(p?.type)
    if (type === 'text') return { type: 'text', text: str(p?.text) ?? '' }
    if (type === 'image_url') {
      const url = str(obj(p?.image_url)?.url) ?? str(p?.image_url)
      if (url === undefined) throw new ProviderInputError(`${field}[${i}]`, `${field}[${i}].image_url.url is required`)
      return { type: 'image', source: imageSource(url, `${field}[${i}]`) }
    }
    throw new ProviderInputError(`${field}[${i}]`, `${field}[${i}]: content part "${type ?? '?'}" cannot be sent to Anthropic`)
  })
}

function parseArguments (raw: unknown, field: string): unknown {
  if (typeof raw !== 'string' || raw.trim() === '') return {}
  try {
    return JSON.parse(raw) as unknown
  } catch {
    throw new ProviderInputError(field, `${field} is not valid JSON`)
  }
}

function assistantBlocks (m: JsonObject, field: string): string | Blocks {
  const calls = arr(m.tool_calls) ?? []
  const text = textOf(m.content, `${field}.content`)
  if (calls.length === 0) return text
  const blocks: Blocks = text === '' ? [] : [{ type: 'text', text }]
  calls.forEach((c, i) => {
    const call = obj(c)
    const fn = obj(call?.function)
    blocks.push({
      type: 'tool_use',
      id: str(call?.id) ?? `call_${i}`,
      name: str(fn?.name) ?? '',
      input: parseArguments(fn?.arguments, `${field}.tool_calls[${i}].function.arguments`)
    })
  })
  return blocks
}

function asBlocks (content: string | Blocks): Blocks {
  return typeof content === 'string' ? (content === '' ? [] : [{ type: 'text', text: content }]) : content
}

/** Anthropic wants strictly alternating roles; OpenAI allows runs (several tool results in a row). */
function push (messages: AnthropicMessage[], role: 'user' | 'assistant', content: string | Blocks): void {
  const last = messages[messages.length - 1]
  if (last !== undefined && last.role === role) {
    last.content = [...asBlocks(last.content), ...asBlocks(content)]
    return
  }
  messages.push({ role, content })
}

function tools (value: unknown): AnthropicTool[] | undefined {
  const list = arr(value)
  if (list === undefined) return undefined
  return list.map((t, i) => {
    const fn = obj(obj(t)?.function)
    const name = str(fn?.name)
    if (name === undefined) throw new ProviderInputError(`tools[${i}]`, `tools[${i}].function.name is required`)
    const tool: AnthropicTool = { name, input_schema: fn?.parameters ?? { type: 'object', properties: {} } }
    const description = str(fn?.description)
    if (description !== undefined) tool.description = description
    return tool
  })
}

function toolChoice (value: unknown, parallel: unknown): AnthropicToolChoice | undefined {
  let choice: AnthropicToolChoice | undefined
  if (value === 'auto') choice = { type: 'auto' }
  else if (value === 'required') choice = { type: 'any' }
  else if (value === 'none') choice = { type: 'none' }
  else {
    const name = str(obj(obj(value)?.function)?.name)
    if (name !== undefined) choice = { type: 'tool', name }
  }
  if (parallel === false) {
    choice ??= { type: 'auto' }
    if (choice.type !== 'none') choice.disable_parallel_tool_use = true
  }
  return choice
}

/**
 * OpenAI chat-completions request → Anthropic Messages request. System (and developer) messages
 * become `system`; tool results become `tool_result` blocks in a user turn; assistant tool calls
 * become `tool_use` blocks; `max_tokens` defaults because Anthropic requires it.
 */
export function openAIToAnthropicRequest (body: JsonObject, opts: TranslateRequestOptions): AnthropicRequest {
  const n = num(body.n)
  if (n !== undefined && n !== 1) throw new ProviderInputError('n', 'n > 1 is not supported by Anthropic')
  const list = arr(body.messages)
  if (list === undefined) throw new ProviderInputError('messages', 'messages must be an array')
  const system: string[] = []
  const messages: AnthropicMessage[] = []
  list.forEach((raw, i) => {
    const m = obj(raw)
    const field = `messages[${i}]`
    const role = str(m?.role)
    if (m === undefined || role === undefined) throw new ProviderInputError(field, `${field}.role is required`)
    if (role === 'system' || role === 'developer') system.push(textOf(m.content, `${field}.content`))
    else if (role === 'user') push(messages, 'user', userBlocks(m.content, `${field}.content`))
    else if (role === 'assistant') push(messages, 'assistant', assistantBlocks(m, field))
    else if (role === 'tool') {
      const id = str(m.tool_call_id)
      if (id === undefined) throw new ProviderInputError(field, `${field}.tool_call_id is required`)
      push(messages, 'user', [{ type: 'tool_result', tool_use_id: id, content: textOf(m.content, `${field}.content`) }])
    } else {
      throw new ProviderInputError(field, `${field}: role "${role}" cannot be sent to Anthropic`)
    }
  })
  const out: AnthropicRequest = {
    model: opts.model,
    max_tokens: num(body.max_completion_tokens) ?? num(body.max_tokens) ?? opts.defaultMaxTokens,
    messages
  }
  if (system.length > 0) out.system = system.join('\n\n')
  if (body.stream === true) out.stream = true
  const temperature = num(body.temperature)
  if (temperature !== undefined) out.temperature = temperature
  const topP = num(body.top_p)
  if (topP !== undefined) out.top_p = topP
  const stop = typeof body.stop === 'string' ? [body.stop] : arr(body.stop)?.filter((s): s is string => typeof s === 'string')
  if (stop !== undefined && stop.length > 0) out.stop_sequences = stop
  const t = tools(body.tools)
  if (t !== undefined && t.length > 0) out.tools = t
  const choice = toolChoice(body.tool_choice, body.parallel_tool_calls)
  if (choice !== undefined) out.tool_choice = choice
  const user = str(body.user)
  if (user !== undefined) out.metadata = { user_id: user }
  return out
}
