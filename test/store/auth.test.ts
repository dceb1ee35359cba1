import t from 'tap'
import { randomUUID } from 'node:crypto'
import { eachBackend } from '../helpers/backends.js'
import { apiKeysRepository, authSessionsRepository, projectsRepository } from '../../plugins/auth/store/index.js'
import type { ApiKeyRecord, AuthSessionRecord } from '../../plugins/auth/store/index.js'

function key (projectId: string, extra: Partial<ApiKeyRecord> = {}): ApiKeyRecord {
  return { id: randomUUID(), projectId, hash: randomUUID(), prefix: 'pulse_sk_abc…', createdAt: new Date(), ...extra }
}

function session (extra: Partial<AuthSessionRecord> = {}): AuthSessionRecord {
  const createdAt = new Date(1_000_000)
  return {
    id: randomUUID(),
    projectId: 'A',
    createdVia: 'api_key',
    keys: { openai: 'v1.kid.iv.ct.tag' },
    createdAt,
    expiresAt: new Date(createdAt.getTime() + 60_000),
    ...extra
  }
}

eachBackend(t, async (t, backend) => {
  t.test('projects: create, get, list with paging; init is idempotent', async (t) => {
    const store = backend.makeStore()
    t.teardown(() => store.close())
    const projects = await store.repository('projects', projectsRepository)
    await projects.init()
    const base = Date.now()
    for (let i = 0; i < 5; i++) {
      await projects.create({ id: `p${i}`, name: `project ${i}`, createdAt: new Date(base + i) })
    }
    const p2 = await projects.get('p2')
    t.same(p2, { id: 'p2', name: 'project 2', createdAt: new Date(base + 2) })
    t.ok(p2?.createdAt instanceof Date, 'dates come back as Date')
    t.equal(await projects.get('nope'), null)
    const page = await projects.list({ limit: 2, offset: 1 })
    t.equal(page.total, 5)
    t.same(page.projects.map((p) => p.id), ['p1', 'p2'])
    await t.rejects(projects.create({ id: 'p1', name: 'dup', createdAt: new Date() }), 'duplicate id is refused')
  })

  t.test('the same name gives the same repository instance', async (t) => {
    const store = backend.makeStore()
    t.teardown(() => store.close())
    const a = await store.repository('projects', projectsRepository)
    const b = await store.repository('projects', projectsRepository)
    t.equal(a, b)
  })

  t.test('apiKeys: find by hash, list by project, revoke scoped to project, touch', async (t) => {
    const store = backend.makeStore()
    t.teardown(() => store.close())
    const keys = await store.repository('apiKeys', apiKeysRepository)
    const k1 = key('A', { name: 'first', createdAt: new Date(1000) })
    const k2 = key('A', { createdAt: new Date(2000) })
    const k3 = key('B')
    for (const k of [k1, k2, k3]) await keys.create(k)

    t.same(await keys.findByHash(k1.hash), k1)
    t.equal(await keys.findByHash('missing'), null)
    t.same((await keys.listByProject('A')).map((k) => k.id), [k1.id, k2.id])
    t.same((await keys.listByProject('B')).map((k) => k.id), [k3.id])

    await t.rejects(keys.create(key('A', { hash: k1.hash })), 'hash is unique')

    t.equal(await keys.revoke('B', k1.id, new Date()), null, 'another project cannot revoke the key')
    t.equal((await keys.findByHash(k1.hash))?.revokedAt, undefined)
    const first = new Date(5000)
    const revoked = await keys.revoke('A', k1.id, first)
    t.same(revoked?.revokedAt, first)
    const again = await keys.revoke('A', k1.id, new Date(9000))
    t.same(again?.revokedAt, first, 'revoking twice keeps the first time')

    await keys.touch(k2.id, new Date(7000))
    await keys.touch(k2.id, new Date(6000))
    t.same((await keys.findByHash(k2.hash))?.lastUsedAt, new Date(7000), 'lastUsedAt never goes back')
  })

  t.test('authSessions: get hides expired, setKey, delete, deleteByKey scoped to project, sweep', async (t) => {
    const store = backend.makeStore()
    t.teardown(() => store.close())
    const sessions = await store.repository('authSessions', authSessionsRepository)
    await sessions.init()
    const s1 = session({ keyId: 'k1', userId: 'u1' })
    const s2 = session({ keyId: 'k1', projectId: 'B' })
    const s3 = session({ keyId: 'k2' })
    for (const s of [s1, s2, s3]) await sessions.create(s)
    await t.rejects(sessions.create(session({ id: s1.id })), 'id is unique')

    const live = new Date(1_030_000)
    const after = new Date(1_060_000)
    t.same(await sessions.get(s1.id, live), s1)
    t.ok((await sessions.get(s1.id, live))?.expiresAt instanceof Date)
    t.equal(await sessions.get(s1.id, after), null, 'expired at expiresAt exactly')
    t.equal(await sessions.get('missing', live), null)

    t.equal(await sessions.setKey(s1.id, 'anthropic', 'sealed-2', live), true)
    t.equal(await sessions.setKey(s1.id, 'openai', 'sealed-3', live), true)
    t.same((await sessions.get(s1.id, live))?.keys, { openai: 'sealed-3', anthropic: 'sealed-2' })
    t.equal(await sessions.setKey(s1.id, 'x', 'y', after), false, 'an expired session takes no key')
    t.equal(await sessions.setKey('missing', 'x', 'y', live), false)

    t.equal(await sessions.deleteByKey('A', 'k1'), 1, 'only project A\'s sessions of key k1')
    t.equal(await sessions.get(s1.id, live), null)
    t.ok(await sessions.get(s2.id, live), 'project B\'s session with the same key id is untouched')
    t.ok(await sessions.get(s3.id, live))

    t.equal(await sessions.delete(s3.id), true)
    t.equal(await sessions.delete(s3.id), false)

    const old = session({ expiresAt: new Date(1_001_000) })
    await sessions.create(old)
    t.equal(await sessions.sweep(new Date(1_002_000)), 1, 'sweep removes only the expired')
    t.ok(await sessions.get(s2.id, new Date(1_002_000)))
  })

  t.test('data outlives a store restart', async (t) => {
    const first = backend.makeStore('restart')
    const projects = await first.repository('projects', projectsRepository)
    await projects.create({ id: 'kept', name: 'kept', createdAt: new Date() })
    await first.close()
    if (backend.name === 'memory') {
      t.pass('the memory store is per process by design; nothing to reopen')
      return
    }
    const second = backend.makeStore('restart')
    t.teardown(() => second.close())
    const again = await second.repository('projects', projectsRepository)
    t.equal((await again.get('kept'))?.name, 'kept')
  })
})
