import type { FastifyInstance, InjectOptions, LightMyRequestResponse, RouteOptions } from 'fastify'
import type { Test } from 'tap'

export interface RecordedRoute {
  /** `METHOD /url`, e.g. `DELETE /v1/auth/session`. */
  route: string
  /** The route's `config.auth` as pulse-proxy resolved it: project, admin or none. */
  auth: string
  pulse: boolean
}

/**
 * Call in build()'s `setup` (before pulse-proxy registers): returns a function listing every
 * route registered afterwards. Read it after `ready()`: pulse-proxy fills in `config` in its own
 * onRoute hook, which runs after this one.
 */
export function recordRoutes (app: FastifyInstance): () => RecordedRoute[] {
  const seen: RouteOptions[] = []
  app.addHook('onRoute', (route) => { seen.push(route) })
  // HEAD routes are Fastify's automatic twins of GET routes: walking the GET covers them.
  return () => seen.flatMap((r) => (Array.isArray(r.method) ? r.method : [r.method]).filter((m) => m !== 'HEAD').map((method) => ({
    route: `${method} ${r.url}`,
    auth: r.config?.auth ?? 'project',
    pulse: r.config?.pulse === true
  })))
}

export interface IsolationCase {
  /** The route this row covers, exactly as registered: `METHOD /v1/things/:id`. */
  route: string
  /** What the intruder sends; its credentials (IsolationWalk.intruder) are merged into the headers. */
  request: InjectOptions
  /** Default: a 404 envelope. A case for a route with no foreign resource (e.g. /me) checks it got its own data. */
  expect?: (t: Test, res: LightMyRequestResponse) => void | Promise<void>
  /** Runs after the request: e.g. the owner's resource is still intact. */
  after?: (t: Test) => void | Promise<void>
}

export interface IsolationWalk {
  app: FastifyInstance
  /** The second project's credentials, as request headers. */
  intruder: Record<string, string>
  /** Strings of the owner's that must never appear in an intruder's response (ids, names, key prefixes, values). */
  ownerSecrets: string[]
  cases: IsolationCase[]
}

export function expectNotFound (t: Test, res: LightMyRequestResponse) {
  t.equal(res.statusCode, 404, 'another project\'s resource is not found (never 403)')
  t.equal((res.json() as { error?: { code?: string } }).error?.code, 'PULSE_NOT_FOUND')
}

/**
 * The tenant-isolation walk: every row is sent with the second project's credentials at the
 * first project's resources. Never a 403 (which would confirm the resource exists), never the
 * owner's data.
 */
export async function walkTenantIsolation (t: Test, walk: IsolationWalk) {
  for (const c of walk.cases) {
    await t.test(c.route, async (t) => {
      const request = { ...c.request, headers: { ...c.request.headers, ...walk.intruder } }
      const res = await walk.app.inject(request)
      t.not(res.statusCode, 403, 'never 403')
      for (const secret of walk.ownerSecrets) t.notOk(res.body.includes(secret), `response holds nothing of the owner's (${secret.slice(0, 12)}…)`)
      await (c.expect ?? expectNotFound)(t, res)
      await c.after?.(t)
    })
  }
}

/** Every recorded route that `include` selects has a row: a new route without one fails the walk. */
export function assertEveryRouteWalked (t: Test, routes: RecordedRoute[], cases: IsolationCase[], include: (r: RecordedRoute) => boolean) {
  const wanted = routes.filter(include).map((r) => r.route)
  t.ok(wanted.length > 0, 'the filter selects some routes')
  const walked = new Set(cases.map((c) => c.route))
  t.same(wanted.filter((r) => !walked.has(r)), [], 'every selected route has an isolation row')
}
