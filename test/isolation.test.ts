import t, { type Test } from 'tap'
import type { LightMyRequestResponse } from 'fastify'
import { bearer, createProject } from './helpers/app.js'
import { assertEveryRouteWalked, recordRoutes, walkTenantIsolation, type IsolationCase, type RecordedRoute } from './helpers/isolation.js'
import { proxyHarness } from './helpers/proxy.js'
import { makeTrace, postBatch } from './helpers/traces.js'

// Every project route of every plugin, walked with a second project's credentials at the first
// project's data. A project route added without a row here fails the walk.
t.test('every project route, with another project\'s credentials: 404 or its own data, never the owner\'s', async (t) => {
  let routes: () => RecordedRoute[] = () => []
  const h = await proxyHarness(t, {
    auth: { session: { allowedOrigins: ['https://app.example.test'] } },
    proxy: { passthrough: { api: { url: 'http://127.0.0.1:9/base' } } }
  }, { before: (app) => { routes = recordRoutes(app) } })
  const { app } = h
  const owner = { projectId: h.projectId, apiKey: h.apiKey }
  const intruder = await createProject(app, 'intruder')

  // The owner's data, in every plugin.
  const ownerSecret = 'sk-owner-secret-value-0123456789'
  t.equal((await app.inject({ method: 'PUT', url: '/v1/secrets/owner.secret', headers: bearer(owner.apiKey), payload: { value: ownerSecret } })).statusCode, 200)
  const ownerTrace = makeTrace({ session_id: 'owner-session-1', model_requested: 'owner-model-zz', output_text: 'owner output text' })
  t.equal((await postBatch(app, owner.apiKey, [ownerTrace])).statusCode, 202)
  const unpriced = await app.inject({
    method: 'POST',
    url: '/v1/chat/completions',
    headers: bearer(owner.apiKey),
    payload: { model: 'gpt-owner-unpriced-9', messages: [{ role: 'user', content: 'owner prompt' }] }
  })
  t.equal(unpriced.statusCode, 200)
  t.equal((await app.inject({ url: '/v1/pricing/unpriced', headers: bearer(owner.apiKey) })).json().data.models.length, 1, 'the owner has an unpriced model')

  const ownOnly = (check?: (t: Test, res: LightMyRequestResponse) => void) => (t: Test, res: LightMyRequestResponse) => {
    t.ok(res.statusCode < 400 || res.statusCode === 404, `answered ${res.statusCode}`)
    check?.(t, res)
  }
  const chat = { model: 'mock/mock-1', messages: [{ role: 'user', content: 'intruder' }] }

  const cases: IsolationCase[] = [
    { route: 'GET /v1/me', request: { url: '/v1/me' }, expect: ownOnly((t, res) => t.equal(res.json().data.projectId, intruder.projectId)) },
    { route: 'GET /v1/auth/session', request: { url: '/v1/auth/session' } },
    { route: 'POST /v1/auth/session', request: { method: 'POST', url: '/v1/auth/session', payload: { provider: 'openai', apiKey: 'sk-intruder-0123456789' } }, expect: ownOnly() },
    { route: 'DELETE /v1/auth/session', request: { method: 'DELETE', url: '/v1/auth/session' } },
    {
      route: 'PUT /v1/secrets/:name',
      request: { method: 'PUT', url: '/v1/secrets/owner.secret', payload: { value: 'intruder value' } },
      expect: ownOnly((t, res) => t.equal(res.json().data.version, 1, 'a new secret of its own, not version 2 of the owner\'s')),
      after: async (t) => { t.equal(await app.pulse.vault.resolve(owner.projectId, 'owner.secret'), ownerSecret, 'the owner\'s secret is unchanged') }
    },
    { route: 'GET /v1/secrets', request: { url: '/v1/secrets' }, expect: ownOnly() },
    {
      route: 'DELETE /v1/secrets/:name',
      request: { method: 'DELETE', url: '/v1/secrets/owner.secret' },
      expect: ownOnly(),
      after: async (t) => { t.equal(await app.pulse.vault.resolve(owner.projectId, 'owner.secret'), ownerSecret, 'the owner\'s secret survives') }
    },
    {
      route: 'POST /v1/traces/batch',
      request: { method: 'POST', url: '/v1/traces/batch', payload: [{ ...ownerTrace, output_text: 'intruder text', model_requested: 'intruder-model' }] },
      expect: ownOnly((t, res) => t.equal(res.statusCode, 202, 'stored as the intruder\'s own trace')),
      after: async (t) => {
        const mine = await app.inject({ url: `/v1/traces/${ownerTrace.trace_id}`, headers: bearer(owner.apiKey) })
        t.equal(mine.json().data.output_text, 'owner output text', 'the owner\'s trace with the same id is untouched')
      }
    },
    { route: 'GET /v1/traces', request: { url: '/v1/traces' }, expect: ownOnly() },
    // The intruder stored a trace with the same id above: it gets its own, never the owner's.
    { route: 'GET /v1/traces/:id', request: { url: `/v1/traces/${ownerTrace.trace_id}` }, expect: ownOnly() },
    { route: 'GET /v1/sessions/:id', request: { url: '/v1/sessions/owner-session-1' }, expect: ownOnly() },
    {
      route: 'GET /v1/analytics',
      request: { url: `/v1/analytics?date_from=${new Date(Date.now() - 86_400_000).toISOString()}&date_to=${new Date(Date.now() + 3_600_000).toISOString()}` },
      expect: ownOnly((t, res) => t.equal(res.json().data.costOverTime.reduce((n: number, b: { requests: number }) => n + b.requests, 0), 1, 'only its own trace is counted'))
    },
    { route: 'POST /v1/chat/completions', request: { method: 'POST', url: '/v1/chat/completions', payload: chat }, expect: ownOnly() },
    { route: 'POST /v1/embeddings', request: { method: 'POST', url: '/v1/embeddings', payload: { model: 'mock/mock-embed', input: 'intruder' } }, expect: ownOnly() },
    { route: 'POST /v1/messages', request: { method: 'POST', url: '/v1/messages', payload: { model: 'mock/mock-1', max_tokens: 16, messages: [{ role: 'user', content: 'intruder' }] } }, expect: ownOnly() },
    { route: 'GET /v1/models', request: { url: '/v1/models' }, expect: ownOnly() },
    {
      route: 'GET /v1/pricing/unpriced',
      request: { url: '/v1/pricing/unpriced' },
      expect: ownOnly((t, res) => t.same(res.json().data.models, [], 'the owner\'s unpriced model is not listed'))
    }
  ]
  // The passthrough reaches a configured origin, not a project's data; every method is one route.
  for (const method of ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const) {
    cases.push({
      route: `${method} /v1/passthrough/:origin/*`,
      request: { method, url: '/v1/passthrough/nope/x' },
      expect: ownOnly()
    })
  }

  await walkTenantIsolation(t, {
    app,
    intruder: bearer(intruder.apiKey),
    ownerSecrets: [owner.projectId, ownerSecret, 'owner output text', 'owner-model-zz', 'gpt-owner-unpriced-9', 'owner prompt'],
    cases
  })
  assertEveryRouteWalked(t, routes(), cases, (r) => r.pulse && r.auth === 'project')
})
