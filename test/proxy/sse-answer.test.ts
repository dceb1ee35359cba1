import { PassThrough, Writable } from 'node:stream'
import t from 'tap'
import { request } from 'undici'
import { SseAnswer } from '../../plugins/proxy/sse-answer.js'
import { proxyHarness, sseEvents } from '../helpers/proxy.js'

// Streamed answers are written to the client's response directly, not sent by Fastify: what a
// host and its client must still get, and the writer's own contract.

const chat = { model: 'gpt-4o', stream: true, messages: [{ role: 'user', content: 'Capital of France?' }] }

t.test('a streamed answer carries the headers the request\'s hooks set, and onResponse hooks run', async (t) => {
  let responses = 0
  const h = await proxyHarness(t, {}, {
    before: (app) => {
      app.addHook('onRequest', async (_request, reply) => { reply.header('x-host-policy', 'strict') })
      app.addHook('onResponse', async (request) => { if (request.url === '/v1/chat/completions') responses++ })
    }
  })
  for (const via of ['inject', 'socket'] as const) {
    const headers = { ...h.headers, 'content-type': 'application/json', 'x-request-id': `corr-${via}` }
    const res = via === 'inject'
      ? await h.app.inject({ method: 'POST', url: '/v1/chat/completions', headers, payload: chat })
      : await (async () => {
        const r = await request(`${await h.listen()}/v1/chat/completions`, { method: 'POST', headers, body: JSON.stringify(chat) })
        return { statusCode: r.statusCode, headers: r.headers, body: await r.body.text() }
      })()
    t.equal(res.statusCode, 200, via)
    t.match(res.headers['content-type'], /^text\/event-stream/, `${via}: content type`)
    t.equal(res.headers['x-host-policy'], 'strict', `${via}: a host hook's header`)
    t.equal(res.headers['x-request-id'], `corr-${via}`, `${via}: the correlation id`)
    t.ok(Number(res.headers['x-pulse-overhead-ms']) >= 0, `${via}: the overhead header`)
    t.equal(res.headers['cache-control'], 'no-cache', `${via}: not cached`)
    t.equal(sseEvents(res.body).at(-1)?.data, '[DONE]', `${via}: the whole stream`)
  }
  t.equal(responses, 2, 'the host\'s onResponse hook ran once per streamed answer')
})

t.test('what is written before the route starts the answer reaches the client first, in order', async (t) => {
  const answer = new SseAnswer(() => {}, () => { t.fail('the client did not leave') })
  t.equal(answer.write('a'), true)
  t.equal(answer.write(Buffer.from('b')), true)
  t.equal(answer.write(''), true, 'nothing to write')
  answer.end()
  t.equal(answer.write('late'), true, 'after the end: dropped')
  const out = new PassThrough()
  answer.start(out)
  let got = ''
  for await (const chunk of out) got += String(chunk)
  t.equal(got, 'ab')
})

t.test('back-pressure: a full response asks the pump to wait, and its drain lets it go on', async (t) => {
  let drains = 0
  const answer = new SseAnswer(() => { drains++ }, () => {})
  const out = new PassThrough({ highWaterMark: 8 })
  answer.start(out)
  const startDrains = drains
  t.equal(answer.write('12345'), true)
  t.equal(answer.write('6789abcdef'), false, 'over the response\'s buffer: wait')
  out.read()
  await new Promise((resolve) => setImmediate(resolve))
  t.ok(drains > startDrains, 'told to go on once the client read')
  // Before the start, the answer keeps at most a bounded amount.
  const early = new SseAnswer(() => {}, () => {})
  let accepted = 0
  while (early.write('x'.repeat(1024))) accepted++
  t.ok(accepted > 0 && accepted < 100, `${accepted} KiB kept before the start, then wait`)
})

t.test('a client that is gone is reported once; a finished answer is not', async (t) => {
  let gone = 0
  const answer = new SseAnswer(() => {}, () => { gone++ })
  const res = new Writable({ write (_chunk, _enc, done) { done() } })
  answer.start(res)
  answer.write('data: 1\n\n')
  res.destroy()
  await new Promise((resolve) => setImmediate(resolve))
  t.equal(gone, 1)

  let goneAfterEnd = 0
  const finished = new SseAnswer(() => {}, () => { goneAfterEnd++ })
  const res2 = new Writable({ write (_chunk, _enc, done) { done() } })
  finished.start(res2)
  finished.write('data: [DONE]\n\n')
  finished.end()
  await new Promise((resolve) => res2.once('close', resolve))
  t.equal(goneAfterEnd, 0)

  let goneBeforeStart = 0
  const late = new SseAnswer(() => {}, () => { goneBeforeStart++ })
  const res3 = new Writable({ write (_chunk, _enc, done) { done() } })
  res3.destroy()
  late.start(res3)
  await new Promise((resolve) => setImmediate(resolve))
  t.equal(goneBeforeStart, 1, 'a response already closed at the start: once')
})

t.test('an answer whose head cannot be written: the connection is closed, the upstream too, one trace', async (t) => {
  const h = await proxyHarness(t, {}, {
    before: (app) => { app.addHook('onRequest', async (request, reply) => { if (request.url === '/v1/chat/completions') reply.header('x-bad', 'a\nb') }) }
  })
  const base = await h.listen()
  h.upstreams.openai.next({ fault: { kind: 'stall', afterEvents: 2 } })
  await t.rejects(request(`${base}/v1/chat/completions`, { method: 'POST', headers: { ...h.headers, 'content-type': 'application/json' }, body: JSON.stringify(chat) }).then(async (r) => await r.body.text()))
  const traces = await h.traces()
  t.equal(traces.length, 1)
  t.equal(traces[0]?.status, 'cancelled')
  t.equal(h.app.pulse.proxy.metrics().openStreams, 0, 'no stream left open')
  t.ok(h.logs.lines.some((l) => /headers could not be written/.test(String(l.msg))), 'logged')
})
