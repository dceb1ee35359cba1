import t from 'tap'
import { randomUUID } from 'node:crypto'
import { eachBackend } from '../helpers/backends.js'
import { secretsRepository, type SecretRecord } from '../../plugins/vault/store/index.js'
import { createVaultService } from '../../plugins/vault/service.js'
import { Keyring } from '../../lib/crypto.js'

function secret (projectId: string, name: string, version: number, extra: Partial<SecretRecord> = {}): SecretRecord {
  const at = new Date(1_700_000_000_000 + version * 1000)
  return {
    id: randomUUID(),
    projectId,
    name,
    version,
    ciphertext: `ct-${projectId}-${name}-${version}`,
    keyId: 'keyA',
    fingerprint: `fp-${version}`,
    createdAt: at,
    updatedAt: at,
    ...extra
  }
}

eachBackend(t, async (t, backend) => {
  t.test('insert, latest, versions; a taken version number is refused, not overwritten', async (t) => {
    const store = backend.makeStore()
    t.teardown(() => store.close())
    const repo = await store.repository('secrets', secretsRepository)
    await repo.init()
    const v1 = secret('A', 'db', 1)
    const v2 = secret('A', 'db', 2)
    t.equal(await repo.insert(v1), true)
    t.equal(await repo.insert(v2), true)
    t.equal(await repo.insert(secret('A', 'db', 2, { ciphertext: 'intruder' })), false, 'same (project, name, version) is refused')
    t.equal(await repo.insert(secret('B', 'db', 1)), true, 'the same name in another project is another secret')
    t.same(await repo.latest('A', 'db'), v2)
    t.ok((await repo.latest('A', 'db'))?.createdAt instanceof Date, 'dates come back as Date')
    t.same((await repo.versions('A', 'db')).map((r) => r.ciphertext), [v1.ciphertext, v2.ciphertext])
    t.equal(await repo.latest('A', 'missing'), null)
    t.equal(await repo.latest('C', 'db'), null)
  })

  t.test('listLatest: one entry per name, latest version, no ciphertext, scoped to the project', async (t) => {
    const store = backend.makeStore()
    t.teardown(() => store.close())
    const repo = await store.repository('secrets', secretsRepository)
    for (const r of [secret('A', 'b', 1), secret('A', 'a', 1), secret('A', 'b', 3), secret('A', 'b', 2), secret('B', 'c', 1)]) {
      await repo.insert(r)
    }
    const listed = await repo.listLatest('A')
    t.same(listed.map((r) => [r.name, r.version]), [['a', 1], ['b', 3]])
    t.notOk(listed.some((r) => 'ciphertext' in r), 'listings carry no ciphertext')
    t.same((await repo.listLatest('B')).map((r) => r.name), ['c'])
    t.same(await repo.listLatest('nobody'), [])
  })

  t.test('remove deletes every version of one secret in one project', async (t) => {
    const store = backend.makeStore()
    t.teardown(() => store.close())
    const repo = await store.repository('secrets', secretsRepository)
    for (const r of [secret('A', 'x', 1), secret('A', 'x', 2), secret('A', 'y', 1), secret('B', 'x', 1)]) await repo.insert(r)
    t.equal(await repo.remove('B', 'y'), 0)
    t.equal(await repo.remove('A', 'x'), 2)
    t.equal(await repo.latest('A', 'x'), null)
    t.ok(await repo.latest('A', 'y'))
    t.ok(await repo.latest('B', 'x'), 'the other project keeps its own x')
    t.equal(await repo.insert(secret('A', 'x', 1)), true, 'a removed secret can be stored again from version 1')
  })

  t.test('reseal is a compare-and-set on the old ciphertext', async (t) => {
    const store = backend.makeStore()
    t.teardown(() => store.close())
    const repo = await store.repository('secrets', secretsRepository)
    const r = secret('A', 'x', 1)
    await repo.insert(r)
    const next = { ciphertext: 'new', keyId: 'keyB', fingerprint: 'fpB', updatedAt: new Date(1_800_000_000_000) }
    t.equal(await repo.reseal(r.id, 'stale-ciphertext', next), false, 'a stale expectation writes nothing')
    t.same(await repo.latest('A', 'x'), r)
    t.equal(await repo.reseal(r.id, r.ciphertext, next), true)
    t.same(await repo.latest('A', 'x'), { ...r, ...next })
    t.equal(await repo.reseal(r.id, r.ciphertext, { ...next, ciphertext: 'older' }), false, 'the second writer with the old view loses')
    t.equal((await repo.latest('A', 'x'))?.ciphertext, 'new')
    t.equal(await repo.reseal(randomUUID(), 'x', next), false, 'a missing record is not created')
  })

  t.test('listNotUnderKey pages by id across projects; countByKeyId', async (t) => {
    const store = backend.makeStore()
    t.teardown(() => store.close())
    const repo = await store.repository('secrets', secretsRepository)
    const stale = []
    for (let i = 0; i < 7; i++) {
      const r = secret(i % 2 === 0 ? 'A' : 'B', `s${i}`, 1, { keyId: i < 2 ? 'keyB' : 'keyA' })
      await repo.insert(r)
      if (r.keyId !== 'keyB') stale.push(r.id)
    }
    const seen: string[] = []
    let afterId: string | undefined
    for (;;) {
      const page = await repo.listNotUnderKey('keyB', { afterId, limit: 2 })
      if (page.length === 0) break
      t.ok(page.length <= 2)
      seen.push(...page.map((r) => r.id))
      afterId = page.at(-1)!.id
    }
    t.same(seen, [...stale].sort(), 'every record not under keyB, once, in id order')
    t.same(await repo.countByKeyId(), { keyA: 5, keyB: 2 })
  })

  t.test('service: concurrent puts never take the same version twice', async (t) => {
    const store = backend.makeStore()
    t.teardown(() => store.close())
    const repo = await store.repository('secrets', secretsRepository)
    const vault = createVaultService({ secrets: repo, keyring: new Keyring(['k'.repeat(32)]), maxValueLength: 100 })
    const results = await Promise.all(Array.from({ length: 6 }, (_, i) => vault.put('A', 'race', `value-${i}`)))
    t.ok(results.every((r) => r.changed))
    const versions = (await repo.versions('A', 'race')).map((r) => r.version)
    t.same(versions, [1, 2, 3, 4, 5, 6], 'six distinct versions')
    const same = await Promise.all([vault.put('A', 'same', 'v'), vault.put('A', 'same', 'v'), vault.put('A', 'same', 'v')])
    t.same((await repo.versions('A', 'same')).map((r) => r.version), [1], 'the same value stored concurrently is one version')
    t.equal(same.filter((r) => r.changed).length, 1)
  })

  t.test('service: re-encrypting on read does not overwrite a newer write', async (t) => {
    const store = backend.makeStore()
    t.teardown(() => store.close())
    const repo = await store.repository('secrets', secretsRepository)
    const oldKey = new Keyring(['a'.repeat(32)])
    const rotated = new Keyring(['b'.repeat(32), 'a'.repeat(32)])
    await createVaultService({ secrets: repo, keyring: oldKey, maxValueLength: 100 }).put('A', 'x', 'first')
    const before = (await repo.latest('A', 'x'))!
    // Another instance re-encrypts between our read and our write: our CAS must lose.
    const racing: typeof repo = Object.assign(Object.create(repo) as typeof repo, {
      async latest (p: string, n: string) {
        const r = await repo.latest(p, n)
        await repo.reseal(before.id, before.ciphertext, { ciphertext: 'written-by-another-instance', keyId: 'other', fingerprint: 'f', updatedAt: new Date() })
        return r
      }
    })
    const errors: unknown[] = []
    const vault = createVaultService({ secrets: racing, keyring: rotated, maxValueLength: 100, onReencryptError: (err) => errors.push(err) })
    t.equal(await vault.resolve('A', 'x'), 'first', 'the read still answers')
    t.same(errors, [], 'losing the race is not an error')
    t.equal((await repo.latest('A', 'x'))?.ciphertext, 'written-by-another-instance', 'the newer write stays')
  })
})
