import { createServer, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import t from 'tap'
import type { Test } from 'tap'
import { Agent } from 'undici'
import { UpstreamBody, dispatchUpstream } from '../../plugins/proxy/upstream-body.js'
import { ClientSignal, readBody } from '../../plugins/proxy/upstream.js'
import type { UpstreamRequest } from '../../plugins/proxy/providers/types.js'

// The transport every proxied call goes through: undici's dispatch callbacks feeding an
// UpstreamBody. Real sockets on 127.0.0.1; the server side says what it saw.

interface Upstream { url: string, closedEarly: () => number, lastResponse: () => ServerResponse | undefined }

async function upstream (t: Test, handle: (res: ServerResponse, path: string) => void): Promise<Upstream> {
  let closedEarly = 0
  let last: ServerResponse | undefined
  const server = createServer((req, res) => {
    last = res
    res.on('close', () => { if (!res.writableFinished) closedEarly++ })
    req.resume()
    req.on('end', () => handle(res, req.url ?? ''))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => { server.closeAllConnections(); server.close() })
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, closedEarly: () => closedEarly, lastResponse: () => last }
}

function agent (t: Test, opts: ConstructorParameters<typeof Agent>[0] = {}): Agent {
  const a = new Agent(opts)
  t.teardown(() => a.destroy())
  return a
}

const post = (url: string): UpstreamRequest => ({ url, method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a":1}', stream: false, injectedIncludeUsage: false, clientWantsUsage: false })

const until = async (check: () => boolean) => { for (let i = 0; i < 200 && !check(); i++) await new Promise((resolve) => setTimeout(resolve, 10)) }

t.test('status, headers (multi-valued too), path with query, and the whole body as text', async (t) => {
  const up = await upstream(t, (res, path) => {
    res.setHeader('x-request-id', 'req_1')
    res.setHeader('set-cookie', ['a=1', 'b=2'])
    res.end(JSON.stringify({ path }))
  })
  const res = await dispatchUpstream(agent(t), post(`${up.url}/v1/x?y=1`), new ClientSignal())
  t.equal(res.statusCode, 200)
  t.equal(res.headers['x-request-id'], 'req_1')
  t.same(res.headers['set-cookie'], ['a=1', 'b=2'])
  t.ok(res.body instanceof UpstreamBody)
  t.same(JSON.parse(await readBody(res.body)), { path: '/v1/x?y=1' })
})

t.test('chunks that came with the headers are kept until the reader attaches, in order', async (t) => {
  const up = await upstream(t, (res) => { res.write('one,'); res.write('two,'); setTimeout(() => res.end('three'), 20) })
  const res = await dispatchUpstream(agent(t), post(up.url), new ClientSignal())
  await new Promise((resolve) => setTimeout(resolve, 10))
  const seen: string[] = []
  for await (const chunk of res.body) seen.push(Buffer.from(chunk).toString())
  t.equal(seen.join(''), 'one,two,three')
})

t.test('more than the early buffer before the reader attaches: the upstream waits, then everything arrives', async (t) => {
  const big = 'x'.repeat(300 * 1024)
  const up = await upstream(t, (res) => { res.end(big) })
  const res = await dispatchUpstream(agent(t), post(up.url), new ClientSignal())
  await new Promise((resolve) => setTimeout(resolve, 50))
  t.equal((await readBody(res.body)).length, big.length)
})

t.test('back-pressure: a sink that says false gets nothing more until it resumes; then everything', async (t) => {
  const up = await upstream(t, (res) => {
    let i = 0
    const timer = setInterval(() => { if (i < 5) res.write(`c${i++};`); else { clearInterval(timer); res.end() } }, 5)
  })
  const res = await dispatchUpstream(agent(t), post(up.url), new ClientSignal())
  const body = res.body as UpstreamBody
  const seen: string[] = []
  const state = { ended: false }
  body.consume({ data: (c) => { seen.push(c.toString()); return false }, end: () => { state.ended = true }, error: (err) => { t.fail(String(err)) } })
  await new Promise((resolve) => setTimeout(resolve, 80))
  t.equal(seen.length, 1, 'paused after the first chunk while the upstream kept sending')
  t.notOk(state.ended)
  for (let i = 0; i < 200 && !state.ended; i++) {
    body.resume()
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
  t.equal(seen.join(''), 'c0;c1;c2;c3;c4;')
})

t.test('a client abort mid-body reaches the reader as an error and closes the upstream socket', async (t) => {
  const up = await upstream(t, (res) => { res.write('start') })
  const signal = new ClientSignal()
  const res = await dispatchUpstream(agent(t), post(up.url), signal)
  const failed = new Promise<Error>((resolve) => {
    (res.body as UpstreamBody).consume({ data: () => true, end: () => { t.fail('not a clean end') }, error: resolve })
  })
  signal.abort()
  const err = await failed
  t.equal((err as Error & { code?: string }).code, 'UND_ERR_ABORTED')
  await until(() => up.closedEarly() === 1)
  t.equal(up.closedEarly(), 1)
  t.equal(signal.listenerCount('abort'), 0, 'no listener left on the signal')
})

t.test('an abort before the headers rejects the call; an aborted signal is refused at once', async (t) => {
  const up = await upstream(t, () => {})
  const signal = new ClientSignal()
  const pending = dispatchUpstream(agent(t), post(up.url), signal)
  setTimeout(() => signal.abort(), 20)
  await t.rejects(pending, { code: 'UND_ERR_ABORTED' })
  await t.rejects(dispatchUpstream(agent(t), post(up.url), signal), { code: 'UND_ERR_ABORTED' })
  const controller = new AbortController()
  const viaAbortSignal = dispatchUpstream(agent(t), post(up.url), controller.signal)
  controller.abort()
  await t.rejects(viaAbortSignal, { code: 'UND_ERR_ABORTED' }, 'a real AbortSignal works too')
})

t.test('leaving an iteration early destroys the body: the upstream sees its socket closed', async (t) => {
  const up = await upstream(t, (res) => { res.write('a'); setTimeout(() => res.write('b'), 10) })
  const res = await dispatchUpstream(agent(t), post(up.url), new ClientSignal())
  const iterator = res.body[Symbol.asyncIterator]()
  const first = await iterator.next()
  t.equal(Buffer.from(first.value as Uint8Array).toString(), 'a')
  await iterator.return?.()
  await until(() => up.closedEarly() === 1)
  t.equal(up.closedEarly(), 1)
})

t.test('an idle upstream: the body timeout reaches the reader as an error', async (t) => {
  const up = await upstream(t, (res) => { res.write('a') })
  const res = await dispatchUpstream(agent(t, { bodyTimeout: 50 }), post(up.url), new ClientSignal())
  await t.rejects(readBody(res.body), { code: 'UND_ERR_BODY_TIMEOUT' })
})

t.test('a body is read once', async (t) => {
  const up = await upstream(t, (res) => { res.end('x') })
  const res = await dispatchUpstream(agent(t), post(up.url), new ClientSignal())
  t.equal(await readBody(res.body), 'x')
  t.throws(() => { (res.body as UpstreamBody).consume({ data: () => true, end: () => {}, error: () => {} }) }, /read once/)
})

t.test('a clean end keeps the connection for the next call (keep-alive)', async (t) => {
  const sockets = new Set<unknown>()
  const up = await upstream(t, (res) => { sockets.add(res.socket); res.end('ok') })
  const a = agent(t)
  for (let i = 0; i < 6; i++) {
    const res = await dispatchUpstream(a, post(up.url), new ClientSignal())
    t.equal(await readBody(res.body), 'ok')
  }
  // undici's own request() opens a second socket here too; a body that closed its socket would need six.
  t.ok(sockets.size <= 2, `${sockets.size} sockets for 6 calls`)
})

t.test('destroy() ends an attached reader with an error at once, and a later one too', async (t) => {
  const up = await upstream(t, (res) => { res.write('a') })
  const res = await dispatchUpstream(agent(t), post(up.url), new ClientSignal())
  const iterator = res.body[Symbol.asyncIterator]()
  t.equal(Buffer.from((await iterator.next()).value as Uint8Array).toString(), 'a')
  const waiting = iterator.next()
  setTimeout(() => { (res.body as UpstreamBody).destroy() }, 10)
  await t.rejects(waiting, { code: 'UND_ERR_ABORTED' }, 'a pending read fails instead of hanging')
  await until(() => up.closedEarly() === 1)
  t.equal(up.closedEarly(), 1, 'the upstream socket was closed')

  const res2 = await dispatchUpstream(agent(t), post(up.url), new ClientSignal())
  ;(res2.body as UpstreamBody).destroy()
  await t.rejects(readBody(res2.body), { code: 'UND_ERR_ABORTED' }, 'reading a destroyed body fails')
})

t.test('an error reaches a paused reader at once (not after it resumes)', async (t) => {
  const up = await upstream(t, (res) => { res.write('a') })
  const signal = new ClientSignal()
  const res = await dispatchUpstream(agent(t), post(up.url), signal)
  const failed = new Promise<Error>((resolve) => {
    (res.body as UpstreamBody).consume({ data: () => false, end: () => { t.fail('no clean end') }, error: resolve })
  })
  await new Promise((resolve) => setTimeout(resolve, 20))
  signal.abort()
  t.equal(((await failed) as Error & { code?: string }).code, 'UND_ERR_ABORTED')
})

t.test('URLs are normalised as undici\'s request() would: dot segments, spaces and non-ASCII', async (t) => {
  const up = await upstream(t, (res, path) => { res.end(path) })
  const res = await dispatchUpstream(agent(t), post(`${up.url}/a/../v1/caf\u00e9 x?q=1`), new ClientSignal())
  t.equal(await readBody(res.body), '/v1/caf%C3%A9%20x?q=1')
})
