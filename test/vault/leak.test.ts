import t from 'tap'
import { ADMIN_KEY, bearer, build, createProject } from '../helpers/app.js'
import { Keyring } from '../../lib/crypto.js'
import { secretsRepository } from '../../plugins/vault/store/index.js'

const OLD_KEY = 'leak-test-old-vault-key-0123456789abcdef'
const NEW_KEY = 'leak-test-new-vault-key-0123456789abcdef'
const VALUES = ['sk-LEAKCHECK-openai-0001', 'sk-LEAKCHECK-openai-0002', 'LEAKCHECK-db-password', 'LEAKCHECK-too-long-']

t.test('no secret value, vault key or ciphertext reaches the logs or a response', async (t) => {
  // Secrets stored under the old key first, so reads below re-encrypt (and one re-encryption fails).
  const seeded = await build(t, { vault: { keys: [OLD_KEY] } })
  const store = seeded.app.pulse.store
  const { app, logs } = await build(t, { store: wrap(store), vault: { keys: [NEW_KEY, OLD_KEY] } })
  await seeded.app.pulse.vault.put('legacy', 'provider.openai', VALUES[2]!)

  const project = await createProject(app)
  const auth = bearer(project.apiKey)
  const bodies: string[] = []
  const call = async (method: 'GET' | 'PUT' | 'DELETE' | 'POST', url: string, payload?: object, headers: Record<string, string> = auth) => {
    const res = await app.inject({ method, url, headers, ...(payload ? { payload } : {}) })
    bodies.push(JSON.stringify(res.headers), res.body)
    return res
  }

  t.equal((await call('PUT', '/v1/secrets/provider.openai', { value: VALUES[0] })).statusCode, 200)
  t.equal((await call('PUT', '/v1/secrets/provider.openai', { value: VALUES[0] })).statusCode, 200)
  t.equal((await call('PUT', '/v1/secrets/provider.openai', { value: VALUES[1] })).statusCode, 200)
  t.equal((await call('PUT', '/v1/secrets/db', { value: VALUES[2] })).statusCode, 200)
  t.equal((await call('GET', '/v1/secrets')).statusCode, 200)
  t.equal((await call('PUT', '/v1/secrets/bad%20name', { value: VALUES[2] })).statusCode, 400)
  t.equal((await call('PUT', '/v1/secrets/db', { value: VALUES[3] + 'x'.repeat(20_000) })).statusCode, 400)
  t.equal((await call('PUT', '/v1/secrets/db', { value: VALUES[2] }, { authorization: 'Bearer pulse_sk_' + 'x'.repeat(43) })).statusCode, 401)
  t.equal((await call('DELETE', '/v1/secrets/db')).statusCode, 200)
  t.equal((await call('DELETE', '/v1/secrets/db')).statusCode, 404)
  t.equal((await call('GET', '/v1/vault/status', undefined, { 'x-admin-key': ADMIN_KEY })).statusCode, 200)

  // A store failure mid-request: the 500 is logged with its stack, but not with the request body.
  const repo = await store.repository('secrets', secretsRepository)
  const insert = repo.insert.bind(repo)
  repo.insert = async () => { throw new Error('store unavailable') }
  t.equal((await call('PUT', '/v1/secrets/fails', { value: VALUES[0] })).statusCode, 500)
  repo.insert = insert

  // A read whose re-encryption fails is logged as a warning, without the value.
  const reseal = repo.reseal.bind(repo)
  repo.reseal = async () => { throw new Error('write refused') }
  t.equal(await app.pulse.vault.resolve('legacy', 'provider.openai'), VALUES[2])
  repo.reseal = reseal
  t.ok(logs.lines.some((l) => /could not re-encrypt/.test(String(l.msg))), 'the failed re-encryption was logged')
  t.equal((await call('POST', '/v1/vault/rotate', undefined, { 'x-admin-key': ADMIN_KEY })).json().data.reencrypted, 1)

  // An unreadable secret fails with an error that names the key id, nothing more.
  const unreadable = await build(t, { store: wrap(store), vault: { keys: ['some-other-key-entirely-0123456789abcd'] } })
  const err = await unreadable.app.pulse.vault.resolve('legacy', 'provider.openai').catch((e: Error) => e)
  t.match(err, { code: 'PULSE_VAULT_UNKNOWN_KEY' })
  bodies.push(String((err as Error).message), String((err as Error).stack))

  const ciphertexts = (await repo.versions(project.projectId, 'provider.openai')).map((r) => r.ciphertext)
  const text = logs.text + unreadable.logs.text + seeded.logs.text
  t.ok(text.length > 0 && logs.lines.length > 10, 'logs were captured')
  for (const secret of [...VALUES, OLD_KEY, NEW_KEY, ADMIN_KEY, project.apiKey, ...ciphertexts]) {
    t.notOk(text.includes(secret), `logs do not contain ${secret.slice(0, 12)}…`)
    t.notOk(bodies.some((b) => b.includes(secret)), `responses do not contain ${secret.slice(0, 12)}…`)
  }
  t.ok(text.includes(new Keyring([OLD_KEY]).activeKeyId) || bodies.join('').includes(new Keyring([OLD_KEY]).activeKeyId),
    'key ids (derived, not secret) may appear: they are what operators search for')
})

// Several apps over one store without the first close() wiping it.
function wrap (store: import('../../lib/store/types.js').PulseStore): import('../../lib/store/types.js').PulseStore {
  return { kind: store.kind, open: (o) => store.open(o), repository: (n, f) => store.repository(n, f), ping: () => store.ping(), close: async () => {} }
}
