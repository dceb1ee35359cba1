import t from 'tap'
import type { RouteOptions } from 'fastify'
import { build } from '../helpers/app.js'

t.test('every pulse-proxy route is in the OpenAPI document, and no host route is', async (t) => {
  const seen: RouteOptions[] = []
  const { app } = await build(t, {}, {
    before: (host) => {
      host.addHook('onRoute', (route: RouteOptions) => { seen.push(route) })
      host.get('/host-only', async () => 'hi')
    }
  })
  // pulse-proxy marks its routes (config.pulse) in its own onRoute hook, after the host's ran.
  const routes = seen
    .filter((route) => route.method !== 'HEAD' && route.config?.pulse === true)
    .flatMap((route) => [route.method].flat().map((method) => ({ method: method.toLowerCase(), url: route.url })))
  const res = await app.inject({ url: '/v1/openapi.json' })
  t.equal(res.statusCode, 200)
  const spec = res.json() as { openapi: string, paths: Record<string, Record<string, { responses: Record<string, unknown> }>> }
  t.match(spec.openapi, /^3\./)

  const documented = routes.filter((r) => r.url !== '/v1/openapi.json' && !r.url.endsWith('*'))
  t.ok(documented.length >= 7, `found ${documented.length} library routes`)
  for (const { method, url } of documented) {
    const path = url.replace(/:(\w+)/g, '{$1}')
    t.ok(spec.paths[path]?.[method], `${method.toUpperCase()} ${url} is documented`)
    t.ok(spec.paths[path]?.[method]?.responses['4XX'], `${method.toUpperCase()} ${url} documents its error envelope`)
  }
  t.notOk(spec.paths['/host-only'], 'host routes are not published')
})
