// The rotation drill of seed 004, on both stores: key A → [B, A] → rotate → [B] → [C].
import t from 'tap'
import Fastify, { type FastifyInstance } from 'fastify'
import { eachBackend } from '../helpers/backends.js'
import { ADMIN_KEY } from '../helpers/app.js'
import { pulseProxy } from '../../plugins/pulse-proxy.js'
import { Keyring } from '../../lib/crypto.js'
import { secretsRepository, type SecretRecord } from '../../plugins/vault/store/index.js'
import type { PulseStore } from '../../lib/store/types.js'

const A = 'drill-key-A-0123456789abcdef0123456789'
const B = 'drill-key-B-0123456789abcdef0123456789'
const C = 'drill-key-C-0123456789abcdef0123456789'
const kid = (secret: string) => new Keyring([secret]).activeKeyId

const SECRETS: Array<[project: string, name: string, value: string]> = [
  ['p1', 'provider.openai', 'sk-openai-p1'],
  ['p1', 'provider.anthropic', 'sk-ant-p1'],
  ['p1', 'db-password', 'hunter2-p1'],
  ['p2', 'provider.openai', 'sk-openai-p2'],
  ['p2', 'webhook', 'whsec-p2']
]

// The memory store lives in the process: keep one across "restarts" by handing each app a
// view of it whose close() does nothing, and close the real one when the test ends.
function survivingRestarts (store: PulseStore): PulseStore {
  return {
    kind: store.kind,
    open: (o) => store.open(o),
    repository: (name, factories) => store.repository(name, factories),
    ping: () => store.ping(),
    close: async () => {}
  }
}

eachBackend(t, async (t, backend) => {
  const memory = backend.name === 'memory' ? backend.makeStore() : undefined
  if (memory) t.teardown(() => memory.close())
  const storeForRestart = () => memory ? survivingRestarts(memory) : backend.makeStore('drill')

  let app: FastifyInstance | undefined
  t.teardown(() => app?.close())
  async function restart (keys: string[]) {
    await app?.close()
    app = Fastify({ logger: false })
    await app.register(pulseProxy, { adminKey: ADMIN_KEY, production: true, store: storeForRestart(), vault: { keys } })
    await app.ready()
    return app
  }

  async function raw (a: FastifyInstance): Promise<SecretRecord[]> {
    const repo = await a.pulse.store.repository('secrets', secretsRepository)
    const names = [...new Set(SECRETS.map(([p, n]) => JSON.stringify([p, n])))].map((s) => JSON.parse(s) as [string, string])
    return (await Promise.all(names.map(([p, n]) => repo.versions(p, n)))).flat()
  }
  const rawOf = async (a: FastifyInstance, project: string, name: string) =>
    (await raw(a)).filter((r) => r.projectId === project && r.name === name).at(-1)!

  // 1. Everything stored under A (one secret with two versions, so old versions rotate too).
  let a = await restart([A])
  for (const [p, n, v] of SECRETS) await a.pulse.vault.put(p, n, v)
  await a.pulse.vault.put('p1', 'db-password', 'hunter3-p1')
  const total = SECRETS.length + 1
  t.equal((await raw(a)).length, total)
  t.ok((await raw(a)).every((r) => r.keyId === kid(A) && Keyring.keyIdOf(r.ciphertext) === kid(A)), 'all under A')

  // 2. Restart with [B, A]: all readable; each read re-encrypts that record under B.
  a = await restart([B, A])
  const [readP, readN, readV] = SECRETS[0]!
  const before = await rawOf(a, readP, readN)
  t.equal(await a.pulse.vault.resolve(readP, readN), readV)
  const after = await rawOf(a, readP, readN)
  t.equal(after.keyId, kid(B), 'the read re-encrypted the record under B')
  t.equal(Keyring.keyIdOf(after.ciphertext), kid(B), 'and the ciphertext names B')
  t.equal(after.version, before.version, 'in place: same version')
  t.equal(after.id, before.id)
  t.not(after.fingerprint, before.fingerprint, 'the fingerprint moved to B as well')
  t.equal(await a.pulse.vault.resolve(readP, readN), readV, 'still readable after re-encryption')
  t.equal(await a.pulse.vault.resolve('p1', 'db-password'), 'hunter3-p1', 'the latest version of a versioned secret')
  t.equal(await a.pulse.vault.providerKey('p2', 'openai'), 'sk-openai-p2')
  t.equal((await rawOf(a, 'p2', 'webhook')).keyId, kid(A), 'an unread secret is still under A')
  const samePut = await a.pulse.vault.put('p2', 'webhook', 'whsec-p2')
  t.equal(samePut.changed, false, 'storing the same value under a previous key is still a no-op')
  t.equal((await raw(a)).filter((r) => r.keyId === kid(B)).length, 3, 'three reads, three records under B')

  // 3. rotate() re-encrypts the rest (old versions included) and reports counts.
  const report = await a.pulse.vault.rotate()
  t.same(report, { scanned: total, reencrypted: total - 3, alreadyCurrent: 3, failed: 0, failures: [] })
  t.ok((await raw(a)).every((r) => r.keyId === kid(B) && Keyring.keyIdOf(r.ciphertext) === kid(B)), 'all under B')
  t.same(await a.pulse.vault.rotate(), { scanned: total, reencrypted: 0, alreadyCurrent: total, failed: 0, failures: [] }, 'a second pass has nothing to do')
  const status = await a.inject({ url: '/v1/vault/status', headers: { 'x-admin-key': ADMIN_KEY } })
  t.same(status.json().data, {
    activeKeyId: kid(B),
    keys: [{ keyId: kid(B), active: true, configured: true, records: total }, { keyId: kid(A), active: false, configured: true, records: 0 }]
  }, 'status says A holds nothing: safe to drop it')

  // 4. Restart with [B] only: everything still readable.
  a = await restart([B])
  for (const [p, n, v] of SECRETS) {
    t.equal(await a.pulse.vault.resolve(p, n), p === 'p1' && n === 'db-password' ? 'hunter3-p1' : v, `${p}/${n} under [B]`)
  }

  // 5. Restart with [C] only: reads fail naming the unknown key id; nothing is overwritten.
  a = await restart([C])
  const snapshot = await raw(a)
  for (const [p, n] of SECRETS) {
    await t.rejects(a.pulse.vault.resolve(p, n), { code: 'PULSE_VAULT_UNKNOWN_KEY', message: new RegExp(kid(B)) }, `${p}/${n} under [C]`)
  }
  const failedRotate = await a.pulse.vault.rotate()
  t.match(failedRotate, { scanned: total, reencrypted: 0, alreadyCurrent: 0, failed: total })
  t.ok(failedRotate.failures.every((f) => f.code === 'PULSE_VAULT_UNKNOWN_KEY' && f.keyId === kid(B)))
  const http = await a.inject({ method: 'POST', url: '/v1/vault/rotate', headers: { 'x-admin-key': ADMIN_KEY } })
  t.equal(http.statusCode, 200)
  t.equal(http.json().data.failed, total)
  t.same(await raw(a), snapshot, 'raw records unchanged')
  const configured = (await a.pulse.vault.status()).keys.find((k) => k.keyId === kid(B))
  t.same(configured, { keyId: kid(B), active: false, configured: false, records: total }, 'status names the missing key')
})
