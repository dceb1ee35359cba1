import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Test } from 'tap'

/**
 * Mock OpenAI / OpenRouter / Anthropic upstreams on 127.0.0.1 speaking the real wire formats
 * (JSON bodies, SSE streams, error bodies). Each request is steered by an `x-mock` header:
 *   `chunks=N`      content chunks in a stream (default 3)
 *   `cut=K`         destroy the socket after K chunks (the upstream cutting the connection)
 *   `hang=K`        after K chunks stop sending, keep the connection open
 *   `status=S`      answer S with the provider's error body
 *   `finish=R`      the finish / stop reason to report
 *   `nofinish=1`    end the stream cleanly without finish_reason / message_stop
 *   `deltas=2`      (Anthropic) two message_delta events with cumulative output_tokens
 *   `cost=USD`      (OpenRouter) usage.cost in dollars
 */
export interface MockUpstream {
  /** `http://127.0.0.1:port` */
  origin: string
  /** Bodies of every request received, in order. */
  requests: Array<{ path: string, body: Record<string, unknown> }>
}

type Directives = Record<string, string>

function directives (req: IncomingMessage): Directives {
  const raw = req.headers['x-mock']
  const out: Directives = {}
  for (const part of (Array.isArray(raw) ? raw.join(';') : raw ?? '').split(';')) {
    const [k, v] = part.split('=')
    if (k !== undefined && k.trim() !== '') out[k.trim()] = (v ?? '1').trim()
  }
  return out
}

async function readJson (req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = []
  for await (const c of req) chunks.push(c as Buffer)
  const text = Buffer.concat(chunks).toString('utf8')
  return text === '' ? {} : JSON.parse(text) as Record<string, unknown>
}

function json (res: ServerResponse, status: number, body: unknown) {
  const text = JSON.stringify(body)
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), 'x-request-id': 'req_mock' })
  res.end(text)
}

/** The words a mock stream sends: `w0 w1 w2 …`. */
export const word = (i: number) => `w${i} `
export const text = (n: number) => Array.from({ length: n }, (_, i) => word(i)).join('')

interface StreamPlan { chunks: number, cut?: number, hang?: number }

/** Write SSE frames one per event-loop turn, cutting or hanging as planned. */
async function sse (req: IncomingMessage, res: ServerResponse, frames: string[], plan: StreamPlan, contentFrameOffset: number) {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', 'x-request-id': 'req_mock' })
  let closed = false
  res.on('close', () => { closed = true })
  for (let i = 0; i < frames.length; i++) {
    if (closed) return
    const contentIndex = i - contentFrameOffset
    if (plan.cut !== undefined && contentIndex === plan.cut) {
      // A cut mid-stream: no chunked terminator, the socket just goes.
      res.socket?.destroy()
      return
    }
    if (plan.hang !== undefined && contentIndex === plan.hang) return // the client must end it
    res.write(frames[i])
    await new Promise((resolve) => setImmediate(resolve))
  }
  res.end()
}

function planOf (d: Directives): StreamPlan {
  return {
    chunks: d.chunks !== undefined ? Number(d.chunks) : 3,
    ...(d.cut !== undefined ? { cut: Number(d.cut) } : {}),
    ...(d.hang !== undefined ? { hang: Number(d.hang) } : {})
  }
}

const CREATED = 1_730_000_000

function openAIModelUsed (model: string) {
  return model === 'gpt-4o-mini' ? 'gpt-4o-mini-2024-07-18' : model
}

async function chatCompletions (req: IncomingMessage, res: ServerResponse, body: Record<string, unknown>, d: Directives, openrouter: boolean) {
  const model = String(body.model)
  if (d.status !== undefined) {
    return json(res, Number(d.status), { error: { message: `mock failure ${d.status}`, type: 'invalid_request_error', param: null, code: 'mock_error' } })
  }
  const finish = d.finish ?? 'stop'
  const usage: Record<string, unknown> = { prompt_tokens: 12, completion_tokens: 0, total_tokens: 0, prompt_tokens_details: { cached_tokens: 4 } }
  if (openrouter && d.cost !== undefined) usage.cost = Number(d.cost)
  const modelUsed = openAIModelUsed(model)
  if (body.stream !== true) {
    const content = finish === 'tool_calls' ? null : 'Hello there!'
    const message: Record<string, unknown> = { role: 'assistant', content, refusal: null }
    if (finish === 'tool_calls') message.tool_calls = [{ id: 'call_1', type: 'function', function: { name: 'lookup', arguments: '{"q":"x"}' } }]
    usage.completion_tokens = 3
    usage.total_tokens = 15
    return json(res, 200, {
      id: 'chatcmpl-mock1',
      object: 'chat.completion',
      created: CREATED,
      model: modelUsed,
      choices: [{ index: 0, message, logprobs: null, finish_reason: finish }],
      usage,
      system_fingerprint: 'fp_mock',
      ...(openrouter ? { provider: 'OpenAI' } : {})
    })
  }
  const plan = planOf(d)
  const chunk = (delta: Record<string, unknown>, finishReason: string | null) => `data: ${JSON.stringify({
    id: 'chatcmpl-mockstream',
object: 'chat.completion.chunk',
created: CREATED,
model: modelUsed,
system_fingerprint: 'fp_mock',
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }]
  })}\n\n`
  const frames = [chunk({ role: 'assistant', content: '', refusal: null }, null)]
  for (let i = 0; i < plan.chunks; i++) frames.push(chunk({ content: word(i) }, null))
  if (d.nofinish === undefined) frames.push(chunk({}, finish))
  const options = body.stream_options as { include_usage?: boolean } | undefined
  if (options?.include_usage === true && d.nofinish === undefined) {
    usage.completion_tokens = plan.chunks
    usage.total_tokens = 12 + plan.chunks
    frames.push(`data: ${JSON.stringify({ id: 'chatcmpl-mockstream', object: 'chat.completion.chunk', created: CREATED, model: modelUsed, choices: [], usage })}\n\n`)
  }
  if (d.nofinish === undefined) frames.push('data: [DONE]\n\n')
  await sse(req, res, frames, plan, 1)
}

function embeddings (res: ServerResponse, body: Record<string, unknown>) {
  const inputs = Array.isArray(body.input) ? body.input : [body.input]
  const vector = [0.25, -0.5, 0.75, 1]
  const data = inputs.map((_, index) => ({
    object: 'embedding',
    index,
    embedding: body.encoding_format === 'base64' ? Buffer.from(new Float32Array(vector).buffer).toString('base64') : vector
  }))
  json(res, 200, { object: 'list', data, model: 'text-embedding-3-small', usage: { prompt_tokens: 8 * inputs.length, total_tokens: 8 * inputs.length } })
}

async function anthropicMessages (req: IncomingMessage, res: ServerResponse, body: Record<string, unknown>, d: Directives) {
  const model = String(body.model)
  if (d.status !== undefined) {
    return json(res, Number(d.status), { type: 'error', error: { type: Number(d.status) === 529 ? 'overloaded_error' : 'invalid_request_error', message: `mock failure ${d.status}` } })
  }
  const stop = d.finish ?? 'end_turn'
  const usage = { input_tokens: 20, cache_creation_input_tokens: 5, cache_read_input_tokens: 10, output_tokens: 7 }
  if (body.stream !== true) {
    const content: Array<Record<string, unknown>> = [{ type: 'text', text: 'Hello ' }, { type: 'text', text: 'from Claude' }]
    if (stop === 'tool_use') content.push({ type: 'tool_use', id: 'toolu_1', name: 'lookup', input: { q: 'x' } })
    return json(res, 200, { id: 'msg_mock1', type: 'message', role: 'assistant', model, content, stop_reason: stop, stop_sequence: null, usage })
  }
  const plan = planOf(d)
  const ev = (type: string, data: Record<string, unknown>) => `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`
  const frames = [
    ev('message_start', { message: { id: 'msg_mockstream', type: 'message', role: 'assistant', model, content: [], stop_reason: null, stop_sequence: null, usage: { ...usage, output_tokens: 1 } } }),
    ev('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }),
    ev('ping', {})
  ]
  for (let i = 0; i < plan.chunks; i++) frames.push(ev('content_block_delta', { index: 0, delta: { type: 'text_delta', text: word(i) } }))
  frames.push(ev('content_block_stop', { index: 0 }))
  if (d.nofinish === undefined) {
    if (d.deltas === '2') frames.push(ev('message_delta', { delta: { stop_reason: null, stop_sequence: null }, usage: { output_tokens: Math.max(1, plan.chunks - 1) } }))
    frames.push(ev('message_delta', { delta: { stop_reason: stop, stop_sequence: null }, usage: { output_tokens: plan.chunks + 2 } }))
    frames.push(ev('message_stop', {}))
  }
  await sse(req, res, frames, plan, 3)
}

export async function startMockUpstream (t: Test): Promise<MockUpstream> {
  const requests: MockUpstream['requests'] = []
  const server = createServer((req, res) => {
    readJson(req).then(async (body) => {
      const path = (req.url ?? '').split('?')[0]!
      requests.push({ path, body })
      const d = directives(req)
      const openrouter = path.includes('/openrouter/')
      if (req.method === 'POST' && path.endsWith('/chat/completions')) return chatCompletions(req, res, body, d, openrouter)
      if (req.method === 'POST' && path.endsWith('/embeddings')) return embeddings(res, body)
      if (req.method === 'POST' && path.endsWith('/v1/messages')) return anthropicMessages(req, res, body, d)
      json(res, 404, { error: { message: `no mock for ${req.method} ${path}` } })
    }).catch((err: unknown) => {
      if (!res.headersSent) json(res, 500, { error: { message: String(err) } })
      else res.destroy()
    })
  })
  server.keepAliveTimeout = 1000
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => {
    server.closeAllConnections()
    server.close(() => resolve())
  }))
  const { port } = server.address() as AddressInfo
  return { origin: `http://127.0.0.1:${port}`, requests }
}
