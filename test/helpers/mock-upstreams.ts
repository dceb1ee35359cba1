import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'

/**
 * Mock OpenAI, Anthropic and OpenRouter servers on 127.0.0.1 speaking the real wire formats:
 * their headers, SSE framing, request ids, usage (cache tokens included), error bodies, 429 with
 * Retry-After. Each can be scripted, per request, to split events across writes at awkward places,
 * cut a stream before its terminal event, stall, or send a malformed chunk. They record what they
 * receive and notice when a client closes its socket early.
 */

export type UpstreamKind = 'openai' | 'anthropic' | 'openrouter'

/** One exchange's content, rendered in each provider's format (streamed and not, identically). */
export interface Exchange {
  model?: string
  text: string
  toolCall?: { id: string, name: string, arguments: Record<string, unknown> }
  /** Every prompt token, cached or not, like OpenAI's `prompt_tokens`. */
  inputTokens: number
  outputTokens: number
  cacheReadTokens?: number
  cacheWriteTokens?: number
  /** OpenRouter only: `usage.cost` in USD. */
  costUsd?: number
}

export type StreamFault =
  /** End the response (cleanly at TCP level) after `afterEvents` events; `destroy` resets the socket instead. */
  | { kind: 'cut', afterEvents: number, destroy?: boolean }
  /** Send `afterEvents` events, then nothing, keeping the socket open. */
  | { kind: 'stall', afterEvents: number }
  /** Replace event number `afterEvents` with a truncated JSON payload. */
  | { kind: 'malformed', afterEvents: number }
  /** Send an error event in the provider's format after `afterEvents` events. */
  | { kind: 'error-event', afterEvents: number }

export interface Script {
  /** Answer with this status and the provider's real error body for it. */
  status?: number
  /** Replace the error body. */
  errorBody?: unknown
  headers?: Record<string, string>
  exchange?: Exchange
  fault?: StreamFault
  /**
   * How to cut the bytes into writes: `awkward` (small uneven pieces, splitting lines, CRLFs and
   * UTF-8 characters), `bytes` (one byte a write), or a fixed size.
   */
  split?: 'awkward' | 'bytes' | number
  /** Use CRLF line endings in SSE framing. */
  crlf?: boolean
}

export interface RecordedRequest {
  method: string
  path: string
  headers: IncomingHttpHeaders
  body: unknown
}

export interface MockUpstream {
  kind: UpstreamKind
  /** Base URL with the version segment, as the provider adapters expect. */
  baseUrl: string
  requests: RecordedRequest[]
  /** Queue a behaviour for the next request (FIFO); unscripted requests get a normal answer. */
  next: (script: Script) => void
  /** Resolves once more than `after` responses were closed by the client before they ended. */
  clientClosed: (after: number) => Promise<void>
  /** Resolves at the next scripted stall that begins after this call. */
  stalled: () => Promise<void>
  closedEarly: number
  close: () => Promise<void>
}

export const DEFAULT_EXCHANGE: Exchange = {
  text: 'Paris — café ☕, naïve 🇫🇷 answer.',
  inputTokens: 3720,
  outputTokens: 17,
  cacheReadTokens: 2048,
  cacheWriteTokens: 1200,
  costUsd: 0.004321
}

function defaultModel (kind: UpstreamKind): string {
  if (kind === 'anthropic') return 'claude-3-5-haiku-20241022'
  if (kind === 'openrouter') return 'anthropic/claude-3.5-haiku'
  return 'gpt-4o-2024-08-06'
}

/** Split text into pieces for deltas: words, keeping multi-byte characters as they are. */
function pieces (text: string): string[] {
  return text.split(/(?= )/)
}

function sse (data: unknown, event: string | undefined, eol: string): string {
  const payload = typeof data === 'string' ? data : JSON.stringify(data)
  return (event === undefined ? '' : `event: ${event}${eol}`) + `data: ${payload}${eol}${eol}`
}

// ---- OpenAI / OpenRouter format

function openAIUsage (kind: UpstreamKind, x: Exchange): Record<string, unknown> {
  const usage: Record<string, unknown> = {
    prompt_tokens: x.inputTokens,
    completion_tokens: x.outputTokens,
    total_tokens: x.inputTokens + x.outputTokens,
    prompt_tokens_details: { cached_tokens: x.cacheReadTokens ?? 0, audio_tokens: 0 },
    completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0 }
  }
  if (kind === 'openrouter') {
    usage.prompt_tokens_details = { cached_tokens: x.cacheReadTokens ?? 0, cache_write_tokens: x.cacheWriteTokens ?? 0 }
    if (x.costUsd !== undefined) usage.cost = x.costUsd
    usage.is_byok = false
  }
  return usage
}

function toolCalls (x: Exchange): unknown[] | undefined {
  if (x.toolCall === undefined) return undefined
  return [{ id: x.toolCall.id, type: 'function', function: { name: x.toolCall.name, arguments: JSON.stringify(x.toolCall.arguments) } }]
}

function openAIBody (kind: UpstreamKind, id: string, model: string, x: Exchange): unknown {
  const message: Record<string, unknown> = { role: 'assistant', content: x.text === '' ? null : x.text, refusal: null }
  const calls = toolCalls(x)
  if (calls !== undefined) message.tool_calls = calls
  const choice: Record<string, unknown> = { index: 0, message, logprobs: null, finish_reason: calls === undefined ? 'stop' : 'tool_calls' }
  if (kind === 'openrouter') choice.native_finish_reason = calls === undefined ? 'end_turn' : 'tool_use'
  const body: Record<string, unknown> = { id, object: 'chat.completion', created: 1741570283, model, choices: [choice], usage: openAIUsage(kind, x) }
  if (kind === 'openrouter') body.provider = 'Anthropic'
  else body.system_fingerprint = 'fp_fc9f1d7035'
  return body
}

function openAIEvents (kind: UpstreamKind, id: string, model: string, x: Exchange, includeUsage: boolean, eol: string): string[] {
  const base: Record<string, unknown> = { id, object: 'chat.completion.chunk', created: 1741570283, model }
  if (kind === 'openrouter') base.provider = 'Anthropic'
  const chunk = (delta: unknown, finish: string | null = null): string => {
    const c: Record<string, unknown> = { ...base, choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }] }
    if (includeUsage && kind === 'openai') c.usage = null
    return sse(c, undefined, eol)
  }
  const events: string[] = []
  if (kind === 'openrouter') events.push(`: OPENROUTER PROCESSING${eol}${eol}`)
  events.push(chunk({ role: 'assistant', content: '' }))
  for (const p of x.text === '' ? [] : pieces(x.text)) events.push(chunk({ content: p }))
  if (x.toolCall !== undefined) {
    const args = JSON.stringify(x.toolCall.arguments)
    const mid = Math.floor(args.length / 2)
    events.push(chunk({ tool_calls: [{ index: 0, id: x.toolCall.id, type: 'function', function: { name: x.toolCall.name, arguments: '' } }] }))
    events.push(chunk({ tool_calls: [{ index: 0, function: { arguments: args.slice(0, mid) } }] }))
    events.push(chunk({ tool_calls: [{ index: 0, function: { arguments: args.slice(mid) } }] }))
  }
  events.push(chunk({}, x.toolCall === undefined ? 'stop' : 'tool_calls'))
  if (includeUsage) events.push(sse({ ...base, choices: [], usage: openAIUsage(kind, x) }, undefined, eol))
  events.push(sse('[DONE]', undefined, eol))
  return events
}

// ---- Anthropic format: input_tokens excludes cache reads and writes

function anthropicUsage (x: Exchange): Record<string, number> {
  const read = x.cacheReadTokens ?? 0
  const write = x.cacheWriteTokens ?? 0
  return { input_tokens: x.inputTokens - read - write, cache_creation_input_tokens: write, cache_read_input_tokens: read, output_tokens: x.outputTokens }
}

function anthropicBody (id: string, model: string, x: Exchange): unknown {
  const content: unknown[] = []
  if (x.text !== '') content.push({ type: 'text', text: x.text })
  if (x.toolCall !== undefined) content.push({ type: 'tool_use', id: x.toolCall.id, name: x.toolCall.name, input: x.toolCall.arguments })
  return { id, type: 'message', role: 'assistant', model, content, stop_reason: x.toolCall === undefined ? 'end_turn' : 'tool_use', stop_sequence: null, usage: anthropicUsage(x) }
}

function anthropicEvents (id: string, model: string, x: Exchange, eol: string): string[] {
  const ev = (type: string, body: Record<string, unknown>): string => sse({ type, ...body }, type, eol)
  const usage = anthropicUsage(x)
  const events = [ev('message_start', { message: { id, type: 'message', role: 'assistant', model, content: [], stop_reason: null, stop_sequence: null, usage: { ...usage, output_tokens: 1 } } })]
  let index = 0
  if (x.text !== '') {
    events.push(ev('content_block_start', { index, content_block: { type: 'text', text: '' } }))
    events.push(ev('ping', {}))
    for (const p of pieces(x.text)) events.push(ev('content_block_delta', { index, delta: { type: 'text_delta', text: p } }))
    events.push(ev('content_block_stop', { index }))
    index++
  }
  if (x.toolCall !== undefined) {
    const args = JSON.stringify(x.toolCall.arguments)
    const mid = Math.floor(args.length / 2)
    events.push(ev('content_block_start', { index, content_block: { type: 'tool_use', id: x.toolCall.id, name: x.toolCall.name, input: {} } }))
    events.push(ev('content_block_delta', { index, delta: { type: 'input_json_delta', partial_json: args.slice(0, mid) } }))
    events.push(ev('content_block_delta', { index, delta: { type: 'input_json_delta', partial_json: args.slice(mid) } }))
    events.push(ev('content_block_stop', { index }))
  }
  // Output counts are cumulative: an interim delta, then the final total (not to be summed).
  events.push(ev('message_delta', { delta: { stop_reason: null, stop_sequence: null }, usage: { output_tokens: Math.max(1, Math.floor(x.outputTokens / 2)) } }))
  events.push(ev('message_delta', { delta: { stop_reason: x.toolCall === undefined ? 'end_turn' : 'tool_use', stop_sequence: null }, usage: { output_tokens: x.outputTokens } }))
  events.push(ev('message_stop', {}))
  return events
}

// ---- errors, as each provider sends them

function errorBody (kind: UpstreamKind, status: number, requestId: string): unknown {
  if (kind === 'anthropic') {
    const type = status === 429 ? 'rate_limit_error' : status === 529 ? 'overloaded_error' : status === 401 ? 'authentication_error' : status >= 500 ? 'api_error' : 'invalid_request_error'
    return { type: 'error', error: { type, message: status === 529 ? 'Overloaded' : `mock ${type}` }, request_id: requestId }
  }
  if (kind === 'openrouter') return { error: { code: status, message: status === 429 ? 'Rate limit exceeded' : `mock error ${status}` } }
  if (status === 401) return { error: { message: 'Incorrect API key provided: sk-proj-abcdef1234567890. You can find your API key at https://platform.openai.com/account/api-keys.', type: 'invalid_request_error', param: null, code: 'invalid_api_key' } }
  if (status === 429) return { error: { message: 'Rate limit reached for gpt-4o on requests per min (RPM): Limit 3, Used 3, Requested 1.', type: 'requests', param: null, code: 'rate_limit_exceeded' } }
  return { error: { message: `mock error ${status}`, type: status >= 500 ? 'server_error' : 'invalid_request_error', param: null, code: null } }
}

function streamErrorEvent (kind: UpstreamKind, eol: string): string {
  if (kind === 'anthropic') return sse({ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } }, 'error', eol)
  return sse({ error: { message: 'The server had an error while processing your request.', type: 'server_error', code: 502 } }, undefined, eol)
}

function malformedEvent (kind: UpstreamKind, eol: string): string {
  return kind === 'anthropic'
    ? `event: content_block_delta${eol}data: {"type":"content_block_delta","index":0,"delta":{"type":"text_d${eol}${eol}`
    : `data: {"id":"chatcmpl-x","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"oo${eol}${eol}`
}

/** Cut points that land inside lines, between CR and LF, and inside multi-byte characters. */
function awkwardPieces (buf: Buffer): Buffer[] {
  const out: Buffer[] = []
  const sizes = [1, 2, 3, 5, 7, 11, 13]
  let i = 0
  let k = 0
  while (i < buf.length) {
    let size = sizes[k++ % sizes.length] ?? 1
    // Prefer a cut right after a CR or inside a UTF-8 sequence when one is near.
    for (let j = i + 1; j < Math.min(buf.length, i + size + 3); j++) {
      const b = buf[j] ?? 0
      if (buf[j - 1] === 13 || (b & 0xc0) === 0x80) { size = j - i; break }
    }
    out.push(buf.subarray(i, i + size))
    i += size
  }
  return out
}

function split (buf: Buffer, how: Script['split']): Buffer[] {
  if (how === undefined) return [buf]
  if (how === 'awkward') return awkwardPieces(buf)
  const size = how === 'bytes' ? 1 : how
  const out: Buffer[] = []
  for (let i = 0; i < buf.length; i += size) out.push(buf.subarray(i, i + size))
  return out
}

const tick = async (): Promise<void> => await new Promise((resolve) => setImmediate(resolve))

async function writeAll (res: ServerResponse, parts: Buffer[]): Promise<boolean> {
  for (const part of parts) {
    if (res.destroyed) return false
    res.write(part)
    // A turn of the event loop between writes so they leave as separate TCP segments.
    if (parts.length > 1) await tick()
  }
  return true
}

interface Deferred { promise: Promise<void>, resolve: () => void }
function deferred (): Deferred {
  let settle = (): void => {}
  const promise = new Promise<void>((resolve) => { settle = resolve })
  return { promise, resolve: settle }
}

export async function startMockUpstream (kind: UpstreamKind): Promise<MockUpstream> {
  const scripts: Script[] = []
  const requests: RecordedRequest[] = []
  const sockets = new Set<Socket>()
  const closeWaiters: Array<{ after: number, resolve: () => void }> = []
  let stallWaiters: Array<() => void> = []
  let counter = 0
  const state = { closedEarly: 0 }

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      answer().catch((err: unknown) => { res.destroy(err instanceof Error ? err : undefined) })
      async function answer (): Promise<void> {
        const raw = Buffer.concat(chunks).toString('utf8')
        let body: unknown
        try { body = raw === '' ? undefined : JSON.parse(raw) } catch { body = raw }
        const url = new URL(req.url ?? '/', 'http://127.0.0.1')
        requests.push({ method: req.method ?? 'GET', path: url.pathname, headers: req.headers, body })
        res.on('close', () => {
          if (!res.writableFinished) {
            state.closedEarly++
            for (const w of closeWaiters.splice(0)) {
              if (state.closedEarly > w.after) w.resolve()
              else closeWaiters.push(w)
            }
          }
        })
        const script = scripts.shift() ?? {}
        const eol = script.crlf === true ? '\r\n' : '\n'
        const n = ++counter
        const requestId = kind === 'anthropic' ? `req_011CMock${n}` : `req_mock${n.toString(16).padStart(8, '0')}`
        const idHeader = kind === 'anthropic' ? 'request-id' : 'x-request-id'
        const common: Record<string, string> = { [idHeader]: requestId, ...script.headers }
        if (kind === 'openai') common['openai-processing-ms'] = '42'

        if (script.status !== undefined && script.status >= 400) {
          res.writeHead(script.status, { 'content-type': 'application/json', ...common })
          res.end(JSON.stringify(script.errorBody ?? errorBody(kind, script.status, requestId)))
          return
        }
        const req0 = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>
        const path = url.pathname.replace(/^\/(api\/)?v1/, '')
        if (req.method === 'GET' && path === '/models') {
          res.writeHead(200, { 'content-type': 'application/json', ...common })
          res.end(JSON.stringify(kind === 'anthropic'
            ? { data: [{ type: 'model', id: 'claude-3-5-haiku-20241022', display_name: 'Claude Haiku 3.5', created_at: '2024-10-22T00:00:00Z' }], has_more: false }
            : { object: 'list', data: [{ id: 'gpt-4o', object: 'model', created: 1715367049, owned_by: 'system' }] }))
          return
        }
        if (path === '/embeddings') {
          res.writeHead(200, { 'content-type': 'application/json', ...common })
          res.end(JSON.stringify({ object: 'list', data: [{ object: 'embedding', index: 0, embedding: [0.1, -0.2, 0.3] }], model: req0.model, usage: { prompt_tokens: 5, total_tokens: 5 } }))
          return
        }
        const x = script.exchange ?? DEFAULT_EXCHANGE
        const model = x.model ?? (typeof req0.model === 'string' ? req0.model : defaultModel(kind))
        const id = kind === 'anthropic' ? `msg_mock${n}` : kind === 'openrouter' ? `gen-mock-${n}` : `chatcmpl-mock${n}`
        if (req0.stream !== true) {
          res.writeHead(200, { 'content-type': 'application/json', ...common })
          const json = Buffer.from(JSON.stringify(kind === 'anthropic' ? anthropicBody(id, model, x) : openAIBody(kind, id, model, x)))
          if (await writeAll(res, split(json, script.split))) res.end()
          return
        }
        const includeUsage = kind === 'openrouter' || (req0.stream_options as { include_usage?: boolean } | undefined)?.include_usage === true
        let events = kind === 'anthropic' ? anthropicEvents(id, model, x, eol) : openAIEvents(kind, id, model, x, includeUsage, eol)
        const fault = script.fault
        if (fault !== undefined) {
          const head = events.slice(0, fault.afterEvents)
          if (fault.kind === 'malformed') events = [...head, malformedEvent(kind, eol), ...events.slice(fault.afterEvents + 1)]
          else if (fault.kind === 'error-event') events = [...head, streamErrorEvent(kind, eol)]
          else events = head
        }
        res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive', ...common })
        res.flushHeaders()
        const ok = await writeAll(res, split(Buffer.from(events.join('')), script.split))
        if (!ok) return
        if (fault?.kind === 'stall') {
          for (const resolve of stallWaiters) resolve()
          stallWaiters = []
          return
        }
        if (fault?.kind === 'cut' && fault.destroy === true) {
          res.socket?.destroy()
          return
        }
        res.end()
      }
    })
  })
  server.on('connection', (socket) => {
    socket.setNoDelay(true)
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  const prefix = kind === 'openrouter' ? '/api/v1' : '/v1'

  return {
    kind,
    baseUrl: `http://127.0.0.1:${port}${prefix}`,
    requests,
    next: (script) => { scripts.push(script) },
    clientClosed: async (after) => {
      if (state.closedEarly > after) return
      const d = deferred()
      closeWaiters.push({ after, resolve: d.resolve })
      await d.promise
    },
    stalled: async () => {
      const d = deferred()
      stallWaiters.push(d.resolve)
      await d.promise
    },
    get closedEarly () { return state.closedEarly },
    close: async () => {
      for (const s of sockets) s.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    }
  }
}
