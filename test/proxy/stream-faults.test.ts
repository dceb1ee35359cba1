import { once } from 'node:events'
import { createServer, type Socket } from 'node:net'
import type { AddressInfo } from 'node:net'
import t from 'tap'
import { request } from 'undici'
import type { StreamFault, UpstreamKind } from '../helpers/mock-upstreams.js'
import { proxyHarness, sseEvents } from '../helpers/proxy.js'

/** True when `done` settles within 5 s: a regression fails fast instead of hitting tap's timeout. */
async function within (done: Promise<unknown>): Promise<boolean> {
  return await Promise.race([done.then(() => true), new Promise<false>((resolve) => setTimeout(() => resolve(false), 5000).unref())])
}

/**
 * Streaming that never lies, at the route: for every provider path, a cut, stalled or
 * malformed upstream stream reaches the client as a typed SSE error event (never `[DONE]` or
 * `message_stop`) and is traced once, as an error; a client that leaves aborts the upstream.
 */

interface Path { name: string, kind: UpstreamKind, url: string, model: string, anthropicClient: boolean }
const PATHS: Path[] = [
  { name: 'openai', kind: 'openai', url: '/v1/chat/completions', model: 'gpt-4o', anthropicClient: false },
  { name: 'openrouter', kind: 'openrouter', url: '/v1/chat/completions', model: 'openrouter/anthropic/claude-3.5-haiku', anthropicClient: false },
  { name: 'anthropic native', kind: 'anthropic', url: '/v1/messages', model: 'claude-3-5-haiku-20241022', anthropicClient: true },
  { name: 'anthropic → openai', kind: 'anthropic', url: '/v1/chat/completions', model: 'anthropic/claude-3-5-haiku-20241022', anthropicClient: false }
]

function payload (p: Path) {
  return { model: p.model, max_tokens: 100, stream: true, messages: [{ role: 'user', content: 'hi' }] }
}

const FAULTS: Array<{ fault: StreamFault, cause: string, code: string }> = [
  { fault: { kind: 'cut', afterEvents: 3 }, cause: 'provider_stream_truncated', code: 'PULSE_PROVIDER_STREAM_TRUNCATED' },
  { fault: { kind: 'cut', afterEvents: 3, destroy: true }, cause: 'network_error|provider_stream_truncated', code: 'PULSE_PROVIDER_(NETWORK|STREAM_TRUNCATED)' },
  { fault: { kind: 'malformed', afterEvents: 3 }, cause: 'provider_stream_malformed', code: 'PULSE_PROVIDER_STREAM_MALFORMED' },
  { fault: { kind: 'stall', afterEvents: 3 }, cause: 'provider_timeout', code: 'PULSE_PROVIDER_TIMEOUT' },
  { fault: { kind: 'error-event', afterEvents: 3 }, cause: 'provider_stream_error|provider_rate_limited', code: 'PULSE_PROVIDER_STREAM_ERROR' }
]

function lastEvent (p: Path, body: string) {
  const events = sseEvents(body)
  return { events, last: events.at(-1) }
}

t.test('fault suite: cut, reset, malformed, stall and error events on every provider path', async (t) => {
  // A short idle timeout so a stall is noticed quickly; nothing here measures time.
  const h = await proxyHarness(t, { proxy: { timeouts: { idleMs: 300 } } })
  let calls = 0
  for (const p of PATHS) {
    for (const f of FAULTS) {
      const label = `${p.name}, ${f.fault.kind}${'destroy' in f.fault && f.fault.destroy === true ? ' (reset)' : ''}`
      h.upstreams[p.kind].next({ fault: f.fault, split: 'awkward' })
      const res = await h.app.inject({ method: 'POST', url: p.url, headers: h.headers, payload: payload(p) })
      calls++
      t.equal(res.statusCode, 200, `${label}: the stream had started`)
      const { events, last } = lastEvent(p, res.body)
      t.notOk(events.some((e) => e.data === '[DONE]' || e.event === 'message_stop'), `${label}: no clean terminal event`)
      const error = JSON.parse(last?.data ?? '{}') as { error?: { code?: string, cause?: string, correlationId?: string } }
      if (p.anthropicClient) t.equal(last?.event, 'error', `${label}: Anthropic-format error event`)
      t.match(error.error?.code, new RegExp(f.code), `${label}: typed error code`)
      t.match(error.error?.cause, new RegExp(f.cause), `${label}: cause`)
      t.equal(error.error?.correlationId, res.headers['x-request-id'], `${label}: carries the correlation id`)
    }
  }
  const traces = await h.traces()
  t.equal(traces.length, calls, 'exactly one trace per call')
  t.ok(traces.every((tr) => tr.status === 'error'), 'each traced as an error')
  t.ok(traces.every((tr) => typeof (tr.error as { cause?: unknown } | undefined)?.cause === 'string'), 'with its cause')
})

t.test('the stream is forwarded as it arrives: the client reads the first event while the upstream is stalled', async (t) => {
  const h = await proxyHarness(t, { proxy: { timeouts: { idleMs: 60_000 } } })
  const base = await h.listen()
  for (const p of PATHS) {
    const stalled = h.upstreams[p.kind].stalled()
    h.upstreams[p.kind].next({ fault: { kind: 'stall', afterEvents: 3 } })
    const controller = new AbortController()
    const res = await request(`${base}${p.url}`, { method: 'POST', headers: { ...h.headers, 'content-type': 'application/json' }, body: JSON.stringify(payload(p)), signal: controller.signal })
    t.equal(res.statusCode, 200)
    await stalled
    // If the proxy buffered the whole answer this read would never complete (the upstream never ends).
    let got = ''
    for await (const chunk of res.body) {
      got += String(chunk)
      if (got.includes('\n\n')) break
    }
    t.ok(got.length > 0, `${p.name}: first bytes arrive before the upstream finished`)
    const closedBefore = h.upstreams[p.kind].closedEarly
    controller.abort()
    // The proxy aborts the upstream request: the mock sees its socket closed.
    t.ok(await within(h.upstreams[p.kind].clientClosed(closedBefore)), `${p.name}: client disconnect closed the upstream request`)
  }
  const traces = await h.traces()
  t.equal(traces.length, PATHS.length, 'one trace per call')
  t.ok(traces.every((tr) => tr.status === 'cancelled'), 'client aborts are traced as cancelled')
  t.equal(h.app.pulse.proxy.metrics().openStreams, 0, 'no stream left open')
})

/**
 * Opens an OpenAI-format stream and waits for its first bytes, still reading (breaking out of a
 * `for await` would itself close the request); aborting the controller leaves mid-stream.
 */
async function midStream (h: Awaited<ReturnType<typeof proxyHarness>>, base: string): Promise<AbortController> {
  // One byte a write: the stream is long-lived enough to leave in the middle.
  h.upstreams.openai.next({ split: 'bytes' })
  const controller = new AbortController()
  const res = await request(`${base}/v1/chat/completions`, { method: 'POST', headers: { ...h.headers, 'content-type': 'application/json' }, body: JSON.stringify({ model: 'gpt-4o', stream: true, messages: [{ role: 'user', content: 'x' }] }), signal: controller.signal })
  res.body.on('error', () => {}) // the abort below errors the body: expected
  await once(res.body, 'data')
  return controller
}

t.test('a client that leaves mid-stream (events flowing) aborts the upstream too', async (t) => {
  const h = await proxyHarness(t)
  const base = await h.listen()
  const controller = await midStream(h, base)
  t.equal(h.upstreams.openai.closedEarly, 0, 'the stream is still open before the client leaves')
  controller.abort()
  t.ok(await within(h.upstreams.openai.clientClosed(0)), 'the upstream saw its socket closed')
  const traces = await h.traces()
  t.equal(traces.length, 1)
  t.equal(traces[0]?.status, 'cancelled')
  t.equal((traces[0]?.error as { cause?: string } | undefined)?.cause, 'client_abort')
})

t.test('a host\'s callUpstream wrapper gets a real AbortSignal, aborted when the client leaves', async (t) => {
  const seen: AbortSignal[] = []
  const h = await proxyHarness(t, {
    proxy: {
      callUpstream: (base) => async (adapter, req, signal) => {
        seen.push(signal)
        return await base(adapter, req, signal)
      }
    }
  })
  const base = await h.listen()
  const controller = await midStream(h, base)
  t.equal(seen.length, 1)
  t.ok(seen[0] instanceof AbortSignal, 'an AbortSignal, as the CallUpstream type says')
  t.equal(seen[0]?.aborted, false)
  t.equal(h.upstreams.openai.closedEarly, 0, 'the stream is still open before the client leaves')
  controller.abort()
  t.ok(await within(h.upstreams.openai.clientClosed(0)), 'the upstream saw its socket closed')
  t.equal(seen[0]?.aborted, true, 'the wrapper\'s signal aborted with the client')
})

t.test('a headers timeout is a 504 provider_timeout envelope, traced', async (t) => {
  const sockets = new Set<Socket>()
  const silent = createServer((s) => { sockets.add(s) })
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve))
  t.teardown(async () => {
    for (const s of sockets) s.destroy()
    await new Promise<void>((resolve) => silent.close(() => resolve()))
  })
  const port = (silent.address() as AddressInfo).port
  const h = await proxyHarness(t, {
    providers: { openai: { baseUrl: `http://127.0.0.1:${port}/v1` } },
    proxy: { timeouts: { headersMs: 200 } }
  })
  const res = await h.app.inject({ method: 'POST', url: '/v1/chat/completions', headers: h.headers, payload: { model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }] } })
  t.equal(res.statusCode, 504)
  t.match(res.json().error, { code: 'PULSE_PROVIDER_TIMEOUT', cause: 'provider_timeout', retryable: true })
  const traces = await h.traces()
  t.equal(traces.length, 1)
  t.equal(traces[0]?.status, 'error')
})
