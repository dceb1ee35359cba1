import t from 'tap'
import Fastify from 'fastify'
import { pulseProxy, type PulseProxyOptions } from '../../plugins/pulse-proxy.js'

async function readyError (opts: unknown): Promise<string> {
  const app = Fastify()
  try {
    await app.register(pulseProxy, opts as PulseProxyOptions)
    await app.ready()
    return 'no error'
  } catch (err) {
    return (err as Error).message
  } finally {
    await app.close().catch(() => {})
  }
}

t.test('a bad option fails ready() with a message naming the option', async (t) => {
  const cases: Array<[string, unknown, RegExp]> = [
    ['unknown top-level option', { prefx: '/v1' }, /option "prefx" is not a known option/],
    ['ill-typed option', { prefix: 3 }, /option "prefix" must be string/],
    ['malformed prefix', { prefix: 'v1/' }, /option "prefix" must match/],
    ['out-of-range number', { bodyLimit: 10 }, /option "bodyLimit" must be greater or equal to 1024/],
    ['unknown nested option', { openapi: { enabled: true, colour: 'red' } }, /option "openapi.colour" is not a known option/],
    ['ill-typed nested option', { auth: { apiKeyCacheMs: 'soon' } }, /option "auth.apiKeyCacheMs" must be integer/],
    ['ill-typed array item', { vault: { keys: [42] } }, /option "vault.keys\[0\]" must be string or undefined/],
    ['short admin key', { adminKey: 'short' }, /option "adminKey" must be string length greater or equal to 16/],
    ['not a store', { store: { kind: 'postgres' } }, /option "store" must be memoryStore\(\) or mongoStore/]
  ]
  for (const [name, opts, expected] of cases) {
    t.match(await readyError(opts), expected, name)
  }
})

t.test('valid options, all defaulted, start', async (t) => {
  t.equal(await readyError({}), 'no error')
})

t.test('the caller\'s options object is not modified', async (t) => {
  const opts = { openapi: {} }
  await readyError(opts)
  t.same(opts, { openapi: {} })
})
