import { createServer, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { connect } from 'node:net'
import t, { type Test } from 'tap'
import { build, createProject, bearer } from '../helpers/app.js'
import { targetUrl } from '../../plugins/proxy/passthrough.js'

interface Seen { method: string, url: string, headers: IncomingHttpHeaders, body: string }

/** Two origins on loopback: the configured one, and one nothing may reach. */
async function origin (name: string): Promise<{ server: Server, seen: Seen[], url: string }> {
  const seen: Seen[] = []
  const server = createServer((req, res) => {
    let body = ''
    req.on('data', (c: Buffer) => { body += c.toString() })
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body })
      if (req.url?.startsWith('/base/fail') === true) {
        res.writeHead(503, { 'content-type': 'text/plain' })
        res.end('down')
        return
      }
      res.writeHead(req.url?.includes('missing') === true ? 404 : 200, { 'content-type': 'application/json', 'set-cookie': 'a=b', 'x-origin': name })
      res.end(JSON.stringify({ origin: name, url: req.url }))
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return { server, seen, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }
}

async function setup (t: Test) {
  const good = await origin('good')
  const evil = await origin('evil')
  t.teardown(() => { good.server.close(); evil.server.close() })
  const { app } = await build(t, { proxy: { passthrough: { api: { url: `${good.url}/base`, secret: 'origin.api' } } } })
  const { projectId, apiKey } = await createProject(app)
  await app.pulse.vault.put(projectId, 'origin.api', 'origin-token-0123456789')
  return { app, good, evil, headers: bearer(apiKey), apiKey }
}

t.test('forwards method, path, query and body to the configured origin only, with its secret, never the caller\'s credentials', async (t) => {
  const { app, good, evil, headers, apiKey } = await setup(t)
  const res = await app.inject({
    method: 'POST',
    url: '/v1/passthrough/api/items/42?x=1&y=%20z',
    headers: { ...headers, 'content-type': 'application/json', cookie: 'pulse_session=abc', host: evil.url.slice(7), 'x-forwarded-host': 'evil' },
    payload: '{"a":1}'
  })
  t.equal(res.statusCode, 200)
  t.same(res.json(), { origin: 'good', url: '/base/items/42?x=1&y=%20z' })
  t.equal(res.headers['x-origin'], 'good')
  t.notOk(res.headers['set-cookie'], 'origin cookies are not passed to the caller')
  t.ok(res.headers['x-pulse-overhead-ms'] !== undefined)
  t.equal(res.headers['x-content-type-options'], 'nosniff', 'the origin\'s content is never sniffed into a script')
  t.match(res.headers['content-security-policy'], /^sandbox/, 'nor run as a page of ours')
  const seen = good.seen.at(-1)
  t.equal(seen?.method, 'POST')
  t.equal(seen?.body, '{"a":1}', 'body bytes unchanged')
  t.equal(seen?.headers.authorization, 'Bearer origin-token-0123456789')
  t.notMatch(JSON.stringify(seen?.headers), apiKey, 'the pulse key never leaves')
  t.notOk(seen?.headers.cookie, 'cookies never leave')
  t.equal(seen?.headers.host, good.url.slice(7), 'Host is the origin\'s, whatever the client sent')
  t.equal(evil.seen.length, 0)

  const missing = await app.inject({ method: 'GET', url: '/v1/passthrough/api/missing', headers })
  t.equal(missing.statusCode, 404, 'origin 4xx passed through')
  const down = await app.inject({ method: 'GET', url: '/v1/passthrough/api/fail', headers })
  t.equal(down.statusCode, 502)
  t.equal(down.json().error.cause, 'upstream_5xx')
})

t.test('nothing in the path, query or headers reaches another host', async (t) => {
  const { app, good, evil, headers } = await setup(t)
  const evilHost = evil.url.slice(7)
  const attempts = [
    '/v1/passthrough/api/..%2f..%2f',
    '/v1/passthrough/api/%2e%2e/%2e%2e/x',
    '/v1/passthrough/api/a/../../x',
    '/v1/passthrough/api/..;/x',
    '/v1/passthrough/api/a/..;/..;/x',
    `/v1/passthrough/api/@${evilHost}/x`,
    `/v1/passthrough/api/%40${evilHost}/x`,
    `/v1/passthrough/api//${evilHost}/x`,
    `/v1/passthrough/api/http://${evilHost}/x`,
    '/v1/passthrough/api/x%2F..%2F..%2Fy',
    '/v1/passthrough/api/x%5c..%5cy',
    `/v1/passthrough/api/\\\\${evilHost}/x`,
    `/v1/passthrough/api/x?u=http://${evilHost}/&next=//${evilHost}`,
    '/v1/passthrough/other/x',
    '/v1/passthrough/API/x'
  ]
  for (const url of attempts) {
    const res = await app.inject({ method: 'GET', url, headers: { ...headers, host: evilHost, 'x-forwarded-host': evilHost, forwarded: `host=${evilHost}` } })
    t.ok([200, 400, 404].includes(res.statusCode), `${url}: ${res.statusCode}`)
    if (res.statusCode === 200) t.match(res.json(), { origin: 'good', url: /^\/base\// }, `${url}: stayed on the origin, under its base path`)
  }
  t.equal(evil.seen.length, 0, 'the other host saw nothing')
  t.ok(good.seen.every((s) => s.url.startsWith('/base/')), 'every forwarded request stayed under the base path')

  const unconfigured = await app.inject({ method: 'GET', url: '/v1/passthrough/other/x', headers })
  t.equal(unconfigured.statusCode, 404)
  t.match(unconfigured.json().error, { code: 'PULSE_ORIGIN_UNCONFIGURED', cause: 'origin_unconfigured' })
})

t.test('raw socket: an absolute-form request target does not choose the upstream', async (t) => {
  const { app, evil, apiKey } = await setup(t)
  await app.listen({ port: 0, host: '127.0.0.1' })
  const port = (app.server.address() as AddressInfo).port
  const raw = await new Promise<string>((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.write(`GET ${evil.url}/v1/passthrough/api/x HTTP/1.1\r\nHost: ${evil.url.slice(7)}\r\nAuthorization: Bearer ${apiKey}\r\nConnection: close\r\n\r\n`)
    })
    let data = ''
    socket.on('data', (c: Buffer) => { data += c.toString() })
    socket.on('end', () => resolve(data))
    socket.on('error', reject)
  })
  t.match(raw, /^HTTP\/1\.1 \d{3}/)
  t.equal(evil.seen.length, 0, 'the absolute URL\'s host was not contacted')
})

t.test('targetUrl: unit cases', async (t) => {
  t.same(targetUrl('https://api.example.com/v2', '/a/b?c=d'), { ok: true, url: 'https://api.example.com/v2/a/b?c=d' })
  t.same(targetUrl('https://api.example.com', '/a'), { ok: true, url: 'https://api.example.com/a' })
  t.equal(targetUrl('https://api.example.com', '@evil.com/a').ok, false)
  t.equal(targetUrl('https://api.example.com', '/a/%2e%2e/b').ok, false)
  t.equal(targetUrl('https://api.example.com', '/a/../b').ok, false)
  t.equal(targetUrl('https://api.example.com/v2', '/%2F%2Fevil.com').ok, false)
  t.equal(targetUrl('https://api.example.com/v2', '/..;/x').ok, false)
})

t.test('origins must be https unless loopback; unknown options fail ready()', async (t) => {
  await t.rejects(build(t, { proxy: { passthrough: { x: { url: 'http://example.com' } } } }), /proxy\.passthrough\.x\.url.*https/)
  await t.rejects(build(t, { proxy: { passthrough: { x: { url: 'https://user:pw@example.com' } } } }), /credentials/)
  await t.resolves(build(t, { proxy: { passthrough: { x: { url: 'https://example.com/base' }, y: { url: 'http://127.0.0.1:1' } } } }))
})
