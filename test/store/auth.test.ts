import t from 'tap'
import { randomUUID } from 'node:crypto'
import { eachBackend } from '../helpers/backends.js'
import { apiKeysRepository, projectsRepository } from '../../plugins/auth/store/index.js'
import type { ApiKeyRecord } from '../../plugins/auth/store/index.js'

function key (projectId: string, extra: Partial<ApiKeyRecord> = {}): ApiKeyRecord {
  return { id: randomUUID(), projectId, hash: randomUUID(), prefix: 'pulse_sk_abc…', createdAt: new Date(), ...extra }
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
