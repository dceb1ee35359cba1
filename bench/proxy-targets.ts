// The processes the proxy benchmark measures, one role per process so the load generator,
// the upstream and the server under test do not share an event loop:
//   mock  — an OpenAI-compatible upstream (JSON, or SSE: 10 deltas, usage chunk when asked, [DONE];
//           model "slow" streams 20 deltas 250 ms apart, for the open-streams test)
//   floor — a minimal Fastify + undici passthrough of /v1/chat/completions (what any proxy costs)
//   pulse — pulse-proxy: API-key auth, vault lookup, tracing (memory store), provider layer
// Each prints `READY <port> [<apiKey>]` on stdout; `GET /__rss` answers the process's RSS.
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import Fastify from 'fastify'
import { Agent, request } from 'undici'

// pulse-proxy as a host installs it: the compiled build when the runner names it (bench/proxy.ts
// builds dist/ first), else the sources through tsx.
const { memoryStore, pulseProxy } = await import(process.env.BENCH_PULSE_LIB ?? '../index.js') as typeof import('../index.js')

const role = process.argv[2]
const upstream = process.env.BENCH_UPSTREAM ?? ''
const ADMIN = 'bench-admin-key-0123456789abcdef'

function completion (): string {
  return JSON.stringify({
    id: 'chatcmpl-bench',
    object: 'chat.completion',
    created: 1741570283,
    model: 'gpt-4o-mini-2024-07-18',
    choices: [{ index: 0, message: { role: 'assistant', content: 'The capital of France is Paris.', refusal: null }, logprobs: null, finish_reason: 'stop' }],
    usage: { prompt_tokens: 24, completion_tokens: 8, total_tokens: 32, prompt_tokens_details: { cached_tokens: 0 } }
  })
}

function chunk (delta: Record<string, unknown>, finish: string | null = null): string {
  return `data: ${JSON.stringify({ id: 'chatcmpl-bench', object: 'chat.completion.chunk', created: 1741570283, model: 'gpt-4o-mini-2024-07-18', choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }] })}\n\n`
}

const WORDS = ['The', ' capital', ' of', ' France', ' is', ' Paris', ',', ' of', ' course', '.']
const USAGE = `data: ${JSON.stringify({ id: 'chatcmpl-bench', object: 'chat.completion.chunk', created: 1741570283, model: 'gpt-4o-mini-2024-07-18', choices: [], usage: { prompt_tokens: 24, completion_tokens: 10, total_tokens: 34 } })}\n\n`

async function mock (): Promise<number> {
  const server = createServer((req, res) => {
    if (req.url === '/__rss') { res.end(String(process.memoryUsage().rss)); return }
    const parts: Buffer[] = []
    req.on('data', (c: Buffer) => parts.push(c))
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(parts).toString() || '{}') as { stream?: boolean, model?: string, stream_options?: { include_usage?: boolean } }
      if (body.stream !== true) {
        res.writeHead(200, { 'content-type': 'application/json', 'x-request-id': 'req_bench' })
        res.end(completion())
        return
      }
      res.writeHead(200, { 'content-type': 'text/event-stream', 'x-request-id': 'req_bench' })
      const usage = body.stream_options?.include_usage === true
      const tail = chunk({}, 'stop') + (usage ? USAGE : '') + 'data: [DONE]\n\n'
      if (body.model !== 'slow') {
        res.end(chunk({ role: 'assistant', content: '' }) + WORDS.map((w) => chunk({ content: w })).join('') + tail)
        return
      }
      let i = 0
      res.write(chunk({ role: 'assistant', content: '' }))
      const timer = setInterval(() => {
        if (i < 20) { res.write(chunk({ content: WORDS[i % WORDS.length] ?? '' })); i++; return }
        clearInterval(timer)
        res.end(tail)
      }, 250)
      res.on('close', () => clearInterval(timer))
    })
  })
  server.keepAliveTimeout = 60_000
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return (server.address() as AddressInfo).port
}

async function floor (): Promise<number> {
  const app = Fastify({ logger: false })
  const agent = new Agent({ connections: 128, keepAliveTimeout: 30_000 })
  app.get('/__rss', async () => String(process.memoryUsage().rss))
  app.post('/v1/chat/completions', async (req, reply) => {
    const res = await request(`${upstream}/chat/completions`, {
      dispatcher: agent,
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer sk-bench' },
      body: JSON.stringify(req.body)
    })
    reply.code(res.statusCode).header('content-type', String(res.headers['content-type']))
    return reply.send(res.body)
  })
  await app.listen({ port: 0, host: '127.0.0.1' })
  return (app.server.address() as AddressInfo).port
}

async function pulse (): Promise<{ port: number, apiKey: string }> {
  const app = Fastify({ logger: false })
  app.get('/__rss', async () => String(process.memoryUsage().rss))
  await app.register(pulseProxy, {
    store: memoryStore(),
    adminKey: ADMIN,
    providers: { openai: { baseUrl: upstream } },
    // Tracing as a host gets it by default: bodies captured and redacted, the record() queue
    // written in batches of 100 (or every second), the memory store keeping 100 000 traces.
    traces: {}
  })
  await app.ready()
  const created = await app.inject({ method: 'POST', url: '/v1/projects', headers: { 'x-admin-key': ADMIN }, payload: { name: 'bench' } })
  const { projectId, apiKey } = (created.json() as { data: { projectId: string, apiKey: string } }).data
  await app.pulse.vault.put(projectId, 'provider.openai', 'sk-bench-0123456789abcdef')
  await app.listen({ port: 0, host: '127.0.0.1' })
  return { port: (app.server.address() as AddressInfo).port, apiKey }
}

if (role === 'mock') process.stdout.write(`READY ${await mock()}\n`)
else if (role === 'floor') process.stdout.write(`READY ${await floor()}\n`)
else if (role === 'pulse') {
  const { port, apiKey } = await pulse()
  process.stdout.write(`READY ${port} ${apiKey}\n`)
} else {
  throw new Error(`unknown role ${role ?? ''}`)
}

// A clean exit on SIGTERM, so `node --cpu-prof` can write its profile.
process.once('SIGTERM', () => process.exit(0))
