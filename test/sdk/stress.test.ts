import t from 'tap'
import Anthropic from '@anthropic-ai/sdk'
import OpenAI from 'openai'
import { createPulse } from '../../sdk/index.js'
import { startGateway, startPulseServer } from './helpers/pulse-server.js'
import { startMockUpstream } from './helpers/upstreams.js'

const TOTAL = 1000
const CONCURRENCY = 16
const messages = [{ role: 'user' as const, content: 'stress' }]

type Kind = 'abort' | 'break' | 'cut' | 'abort-unread'
const KINDS: Kind[] = ['abort', 'break', 'cut', 'abort-unread']

t.test(`${TOTAL} streams aborted, broken off or cut mid-way: exactly ${TOTAL} finished traces, none duplicated`, async (t) => {
  const upstream = await startMockUpstream(t)
  const server = await startPulseServer(t)
  const gateway = await startGateway(t, server.url)
  // A short interval and small batches: sends run concurrently with the streams.
  const pulse = createPulse({ apiKey: server.apiKey, apiUrl: gateway.url, batchSize: 25, flushInterval: 20, maxQueue: TOTAL * 2 })
  t.teardown(() => pulse.shutdown())
  const openai = pulse.observe(new OpenAI({ apiKey: 'sk', baseURL: `${upstream.origin}/v1`, maxRetries: 0 }))
  const anthropic = pulse.observe(new Anthropic({ apiKey: 'sk', baseURL: upstream.origin, maxRetries: 0 }))

  async function one (i: number): Promise<void> {
    const kind = KINDS[i % KINDS.length]!
    const at = 1 + (i % 5)
    const directive = kind === 'cut' ? `chunks=20;cut=${at}` : kind === 'abort-unread' ? 'chunks=20;hang=1' : 'chunks=20'
    const headers = { headers: { 'x-mock': directive } }
    const model = `${kind}-${i}`
    const stream = i % 2 === 0
      ? await openai.chat.completions.create({ model, messages, stream: true }, headers)
      : await anthropic.messages.create({ model, max_tokens: 64, messages, stream: true }, headers)
    if (kind === 'abort-unread') return stream.controller.abort()
    let n = 0
    try {
      for await (const chunk of stream as AsyncIterable<unknown>) {
        if (chunk === undefined || ++n < at + 1) continue
        if (kind === 'abort') stream.controller.abort()
        else if (kind === 'break') break
      }
    } catch (err) {
      if (kind !== 'cut') throw err
    }
  }

  let next = 0
  const workers = Array.from({ length: CONCURRENCY }, async () => {
    while (next < TOTAL) await one(next++)
  })
  await Promise.all(workers)

  const before = pulse.stats()
  t.equal(before.open, 0, 'no call left unfinished')
  t.equal(before.accepted, TOTAL, 'each call finished exactly once')
  t.equal(before.dropped, 0)

  const flushed = await pulse.flush()
  t.equal(flushed.dropped, 0)
  t.equal(flushed.timedOut, false)
  t.match(pulse.stats(), { queued: 0, sending: 0, acknowledged: TOTAL })

  const sent = gateway.posts.flat().map((x) => x.trace_id)
  t.equal(sent.length, TOTAL, 'every trace was posted once (no retry, no duplicate)')
  t.equal(new Set(sent).size, TOTAL)

  const stored = await server.traces()
  t.equal(stored.length, TOTAL)
  t.equal(new Set(stored.map((x) => x.trace_id)).size, TOTAL)
  const byStatus: Record<string, number> = {}
  for (const trace of stored) {
    byStatus[trace.status] = (byStatus[trace.status] ?? 0) + 1
    const kind = trace.model_requested.split('-').slice(0, -1).join('-') as Kind
    const expected = kind === 'cut' ? 'error' : 'cancelled'
    if (trace.status !== expected) t.fail(`${trace.model_requested}: ${trace.status}, expected ${expected}`)
  }
  t.same(byStatus, { cancelled: TOTAL * 3 / 4, error: TOTAL / 4 })
})
