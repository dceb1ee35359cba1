// Ingest throughput through the real HTTP route (listening server on 127.0.0.1, undici client,
// batches of 100), memory store and Mongo, against a bare Fastify route that accepts the same
// body and answers 202 without doing anything: the gap is what pulse-proxy's work costs.
import { randomBytes } from 'node:crypto'
import Fastify, { type FastifyInstance } from 'fastify'
import { MongoClient } from 'mongodb'
import { Pool } from 'undici'
import { memoryStore, mongoStore, pulseProxy } from '../index.js'
import type { PulseStore } from '../lib/store/types.js'
import type { BenchContext, BenchModule } from './types.js'
import { fmt, quantile } from './util.js'

const BATCH = 100
const CONNECTIONS = 10
const ADMIN = 'bench-admin-key-0123456789abcdef'

/**
 * One batch body as a template: trace ids are `RRRRRRRR-iiii-4000-8000-000000000000` with the
 * request number spliced in, so every request carries 100 new traces (a resent id would be a
 * cheap no-op) without building JSON on the client side of the measurement.
 */
function batchTemplate (): string {
  const now = Date.now()
  const traces = Array.from({ length: BATCH }, (_, i) => ({
    trace_id: `RRRRRRRR-${i.toString(16).padStart(4, '0')}-4000-8000-000000000000`,
    timestamp: new Date(now - i * 1000).toISOString(),
    provider: i % 3 === 0 ? 'anthropic' : 'openai',
    model_requested: i % 3 === 0 ? 'claude-3-5-haiku' : 'gpt-4o-mini',
    request_body: { model: 'gpt-4o-mini', messages: [{ role: 'system', content: 'You are terse.' }, { role: 'user', content: `Question number ${i}: what is ${i} + ${i}?` }], max_tokens: 64 },
    response_body: { id: `chatcmpl-${i}`, choices: [{ index: 0, message: { role: 'assistant', content: `${2 * i}` }, finish_reason: 'stop' }] },
    output_text: `${2 * i}`,
    finish_reason: 'stop',
    input_tokens: 20 + i,
    output_tokens: 3,
    status: i % 20 === 0 ? 'error' : 'success',
    session_id: `session-${i % 7}`,
    metadata: { user: 'bench', feature: 'qa' },
    latency_ms: 100 + i * 7,
    ttft_ms: 40 + i
  }))
  return JSON.stringify(traces)
}

interface Run { requests: number, seconds: number, tracesPerSec: number, p50: number, p99: number, failures: number }

async function drive (url: string, path: string, headers: Record<string, string>, requests: number): Promise<Run> {
  const template = batchTemplate()
  const run = randomBytes(2).toString('hex')
  const pool = new Pool(url, { connections: CONNECTIONS, pipelining: 1 })
  let next = 0
  let failures = 0
  const latencies: number[] = []
  const worker = async () => {
    while (next < requests) {
      const n = next++
      // 8 hex chars: 4 for this run, 4 for the request (wraps at 65 536 requests).
      const body = template.replaceAll('RRRRRRRR', `${run}${(n & 0xffff).toString(16).padStart(4, '0')}`)
      const started = performance.now()
      const res = await pool.request({ method: 'POST', path, headers, body })
      await res.body.dump()
      latencies.push(performance.now() - started)
      if (res.statusCode !== 202) failures++
    }
  }
  const started = performance.now()
  await Promise.all(Array.from({ length: CONNECTIONS }, worker))
  const seconds = (performance.now() - started) / 1000
  await pool.close()
  return { requests, seconds, tracesPerSec: (requests * BATCH) / seconds, p50: quantile(latencies, 0.5), p99: quantile(latencies, 0.99), failures }
}

async function pulseServer (store: PulseStore) {
  const app = Fastify({ logger: false })
  await app.register(pulseProxy, { store, adminKey: ADMIN, traces: { batchBodyLimit: 10 * 1024 * 1024 } })
  const address = await app.listen({ host: '127.0.0.1', port: 0 })
  const res = await app.inject({ method: 'POST', url: '/v1/projects', headers: { 'x-admin-key': ADMIN }, payload: { name: 'bench' } })
  const { apiKey, projectId } = res.json().data as { apiKey: string, projectId: string }
  return { app, address, projectId, headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` } }
}

async function bareServer (): Promise<{ app: FastifyInstance, address: string }> {
  const app = Fastify({ logger: false, bodyLimit: 10 * 1024 * 1024 })
  app.post('/v1/traces/batch', async (request, reply) => {
    const body = request.body as unknown[]
    reply.code(202)
    return { ok: true, data: { count: body.length } }
  })
  return { app, address: await app.listen({ host: '127.0.0.1', port: 0 }) }
}

async function measurePulse (ctx: BenchContext, label: string, store: PulseStore, requests: number) {
  const s = await pulseServer(store)
  try {
    await drive(s.address, '/v1/traces/batch', s.headers, Math.min(50, requests)) // warm-up
    const r = await drive(s.address, '/v1/traces/batch', s.headers, requests)
    await s.app.pulse.traces.flush()
    const stored = (await s.app.pulse.traces.list(s.projectId, { limit: 1, offset: 0 })).total
    ctx.log(`${label}: ${fmt(r.tracesPerSec)} traces/s (${stored} stored)`)
    return { ...r, stored }
  } finally {
    await s.app.close()
  }
}

export const ingestBench: BenchModule = {
  name: 'ingest',
  async run (ctx) {
    const rows: string[] = []
    const row = (name: string, r: Run, note = '') =>
      rows.push(`| ${name} | ${fmt(r.requests * BATCH)} | ${fmt(r.seconds, 2)} | **${fmt(r.tracesPerSec)}** | ${fmt(r.p50, 1)} | ${fmt(r.p99, 1)} | ${r.failures} | ${note} |`)

    const bare = await bareServer()
    let baseline: Run
    try {
      await drive(bare.address, '/v1/traces/batch', { 'content-type': 'application/json' }, 50)
      baseline = await drive(bare.address, '/v1/traces/batch', { 'content-type': 'application/json' }, 1500)
      ctx.log(`bare route: ${fmt(baseline.tracesPerSec)} traces/s`)
    } finally {
      await bare.app.close()
    }
    row('bare Fastify route (parse JSON, 202)', baseline)

    const memory = await measurePulse(ctx, 'memory', memoryStore(), 1500)
    row('pulse-proxy, memory store', memory, `${fmt(memory.stored)} stored (incl. warm-up); ${fmt((memory.tracesPerSec / baseline.tracesPerSec) * 100)} % of bare`)

    let mongo: (Run & { stored: number }) | undefined
    if (ctx.mongodbUrl !== undefined) {
      const dbName = `pulse_bench_${randomBytes(4).toString('hex')}`
      try {
        mongo = await measurePulse(ctx, 'mongo', mongoStore({ url: ctx.mongodbUrl, dbName }), 300)
        row('pulse-proxy, Mongo store', mongo, `${fmt(mongo.stored)} stored (incl. warm-up)`)
      } finally {
        const client = new MongoClient(ctx.mongodbUrl)
        await client.db(dbName).dropDatabase().catch(() => {})
        await client.close()
      }
    } else {
      rows.push('| pulse-proxy, Mongo store | – | – | – | – | – | – | skipped: MONGODB_URL not set |')
    }

    const markdown = [
      `A listening server on 127.0.0.1 and an undici pool in the same process (${CONNECTIONS} connections, no pipelining),`,
      `each request a \`POST /v1/traces/batch\` of ${BATCH} new traces (~${fmt(batchTemplate().length / 1024, 1)} KiB of JSON: small`,
      'request/response bodies, session, metadata, tokens; cost filled in from the pricing table), after a 50-request warm-up.',
      'Every 202 means stored and rolled up (write-through, one bulk insert and one rollup write per batch).',
      'The bare route is a plain Fastify route that parses the same body and answers 202: the ceiling of this client and machine.',
      '',
      '| target | traces | seconds | traces/s | p50 ms | p99 ms | non-202 | note |',
      '| --- | --- | --- | --- | --- | --- | --- | --- |',
      ...rows
    ].join('\n')
    return {
      title: 'Ingest throughput (HTTP, batches of 100)',
      markdown,
      checks: [
        { name: 'memory ingest ≥ 20 000 traces/s', ok: memory.tracesPerSec >= 20_000 && memory.failures === 0, detail: `${fmt(memory.tracesPerSec)} traces/s` },
        ...(mongo ? [{ name: 'Mongo ingest (no target)', ok: mongo.failures === 0, detail: `${fmt(mongo.tracesPerSec)} traces/s` }] : [])
      ]
    }
  }
}
