import t from 'tap'
import { createHash } from 'node:crypto'
import { apiKeysRepository } from '../../plugins/auth/store/index.js'
import { ADMIN_KEY, bearer, build, createProject } from '../helpers/app.js'
import { errorShape } from '../helpers/auth.js'
import { eachBackend } from '../helpers/backends.js'

t.test('keys carry 32 random bytes; the store holds only a SHA-256 hash and a display prefix', async (t) => {
  eachBackend(t, async (t, backend) => {
    const { app } = await build(t, { store: backend.makeStore() })
    const { projectId, apiKey } = await createProject(app)
    const second = (await app.inject({ method: 'POST', url: `/v1/projects/${projectId}/keys`, headers: { 'x-admin-key': ADMIN_KEY }, payload: {} })).json().data.apiKey as string

    for (const key of [apiKey, second]) {
      t.match(key, /^pulse_sk_[A-Za-z0-9_-]{43}$/)
      t.equal(Buffer.from(key.slice('pulse_sk_'.length), 'base64url').length, 32, '32 random bytes')
    }
    t.not(apiKey, second)

    // Read the repository directly: what an attacker with a copy of the database would see.
    const repo = await app.pulse.store.repository('apiKeys', apiKeysRepository)
    const records = await repo.listByProject(projectId)
    t.equal(records.length, 2)
    const raw = JSON.stringify(records)
    for (const key of [apiKey, second]) {
      const secretPart = key.slice('pulse_sk_'.length)
      t.notOk(raw.includes(secretPart), 'no plaintext key in the store')
      t.notOk(raw.includes(secretPart.slice(8, 24)), 'not even a middle part of it')
      const record = records.find((r) => r.hash === createHash('sha256').update(key).digest('hex'))
      t.ok(record, 'stored as the SHA-256 of the whole key')
      t.ok(key.startsWith(record!.prefix.replace(/…$/, '')), 'with a short display prefix')
      t.ok(record!.prefix.length <= 'pulse_sk_'.length + 7)
    }
  })
})

t.test('missing, malformed, unknown and revoked keys get the same 401 envelope', async (t) => {
  const { app } = await build(t)
  const { projectId, apiKey, keyId } = await createProject(app)
  const other = await createProject(app, 'other')
  await app.inject({ method: 'DELETE', url: `/v1/projects/${projectId}/keys/${keyId}`, headers: { 'x-admin-key': ADMIN_KEY } })
  t.equal((await app.inject({ url: '/v1/me', headers: bearer(other.apiKey) })).statusCode, 200, 'a good key still works')

  const cases: Record<string, Record<string, string>> = {
    missing: {},
    'empty bearer': { authorization: 'Bearer ' },
    'not bearer': { authorization: `Basic ${Buffer.from('a:b').toString('base64')}` },
    malformed: bearer('pulse_sk_short'),
    'wrong prefix': bearer('sk-' + 'a'.repeat(48)),
    unknown: bearer('pulse_sk_' + 'A'.repeat(43)),
    revoked: bearer(apiKey)
  }
  const shapes: Array<{ name: string, shape: unknown, challenge: unknown }> = []
  for (const [name, headers] of Object.entries(cases)) {
    const res = await app.inject({ url: '/v1/me', headers })
    t.equal(res.statusCode, 401, name)
    const shape = errorShape(res.body)
    t.ok(shape.hasCorrelationId, `${name}: has a correlation id`)
    shapes.push({ name, shape, challenge: res.headers['www-authenticate'] })
  }
  for (const { name, shape, challenge } of shapes.slice(1)) {
    t.same(shape, shapes[0]!.shape, `${name} reads exactly like missing`)
    t.equal(challenge, shapes[0]!.challenge, `${name}: same WWW-Authenticate`)
  }
  t.same(shapes[0]!.shape, { ok: false, error: { code: 'PULSE_UNAUTHORIZED', message: 'Missing or invalid credentials', retryable: false }, hasCorrelationId: true })
})
