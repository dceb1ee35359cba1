import t from 'tap'
import { DecryptError, Keyring, UnknownKeyError } from '../../lib/crypto.js'
import { secretsRepository } from '../../plugins/vault/store/index.js'
import { build } from '../helpers/app.js'

const A = 'key-A-0123456789abcdef0123456789abcdef'
const B = 'key-B-0123456789abcdef0123456789abcdef'

// Rewrite one base64url part of `v1.kid.iv.ct.tag` by flipping a bit of its bytes.
function flip (sealed: string, part: 2 | 3 | 4, byte = 0) {
  const parts = sealed.split('.')
  const bytes = Buffer.from(parts[part]!, 'base64url')
  bytes[byte] = bytes[byte]! ^ 0x01
  parts[part] = bytes.toString('base64url')
  return parts.join('.')
}

t.test('AES-256-GCM: random 96-bit IV, 128-bit tag, key id in the ciphertext', async (t) => {
  const ring = new Keyring([A])
  const one = ring.seal('hello', 'ctx')
  const two = ring.seal('hello', 'ctx')
  t.not(one, two, 'the same plaintext seals differently each time')
  const [version, kid, iv, , tag] = one.split('.')
  t.equal(version, 'v1')
  t.equal(kid, ring.activeKeyId)
  t.equal(Keyring.keyIdOf(one), ring.activeKeyId)
  t.equal(Buffer.from(iv!, 'base64url').length, 12)
  t.equal(Buffer.from(tag!, 'base64url').length, 16)
  t.notOk(one.includes(Buffer.from('hello').toString('base64url')), 'no plaintext in the ciphertext')
  t.same(ring.open(one, 'ctx'), { plaintext: 'hello', kid: ring.activeKeyId, stale: false })
  t.not(new Keyring([B]).activeKeyId, ring.activeKeyId, 'different secrets, different key ids')
  t.notOk(ring.activeKeyId.includes(A) || A.includes(ring.activeKeyId), 'the key id is not the key')
})

t.test('previous keys open, and say the value is stale', async (t) => {
  const sealed = new Keyring([A]).seal('v', 'ctx')
  const rotated = new Keyring([B, A])
  t.same(rotated.open(sealed, 'ctx'), { plaintext: 'v', kid: new Keyring([A]).activeKeyId, stale: true })
  t.equal(Keyring.keyIdOf(rotated.seal('v', 'ctx')), new Keyring([B]).activeKeyId, 'new ciphertexts use the first key')
})

t.test('tampering fails with PULSE_VAULT_DECRYPT_FAILED and no plaintext', async (t) => {
  const ring = new Keyring([A])
  const sealed = ring.seal('the secret value', 'ctx')
  const [, , , ct, tag] = sealed.split('.')
  const tampered = {
    'flipped ciphertext byte': flip(sealed, 3, 3),
    'flipped IV byte': flip(sealed, 2),
    'flipped tag byte': flip(sealed, 4, 15),
    // Node accepts short GCM tags unless told the length: a 4-byte tag must not pass.
    'truncated tag': sealed.replace(`.${tag}`, `.${Buffer.from(tag!, 'base64url').subarray(0, 4).toString('base64url')}`),
    'non-canonical base64': sealed.replace(`.${ct}.`, `.${ct}!.`),
    'wrong associated data': sealed,
    'not a ciphertext': 'hello',
    'other format version': sealed.replace(/^v1/, 'v2')
  }
  for (const [what, value] of Object.entries(tampered)) {
    const err = t.throws(() => ring.open(value, what === 'wrong associated data' ? 'other' : 'ctx'), what) as Error & { code: string }
    t.equal(err.code, 'PULSE_VAULT_DECRYPT_FAILED', what)
    t.ok(err instanceof DecryptError)
    t.notMatch(JSON.stringify({ ...err, message: err.message, stack: err.stack }), /secret value/, `${what}: the error carries no plaintext`)
  }
})

t.test('an unknown key id fails with PULSE_VAULT_UNKNOWN_KEY naming it', async (t) => {
  const sealed = new Keyring([A]).seal('v', 'ctx')
  const kid = Keyring.keyIdOf(sealed)!
  const err = t.throws(() => new Keyring([B]).open(sealed, 'ctx')) as Error & { code: string }
  t.ok(err instanceof UnknownKeyError)
  t.equal(err.code, 'PULSE_VAULT_UNKNOWN_KEY')
  t.match(err.message, kid)
})

t.test('keyed fingerprints: per key and context, compared in constant time', async (t) => {
  const ring = new Keyring([A])
  const fp = ring.fingerprint('v', 'ctx')
  t.match(fp, /^[0-9a-f]{64}$/)
  t.equal(ring.fingerprint('v', 'ctx'), fp, 'deterministic')
  t.not(ring.fingerprint('v', 'other'), fp, 'context matters')
  t.not(new Keyring([B]).fingerprint('v', 'ctx'), fp, 'keyed: another key gives another fingerprint')
  t.ok(ring.matches('v', 'ctx', fp, ring.activeKeyId))
  t.notOk(ring.matches('w', 'ctx', fp, ring.activeKeyId))
  t.notOk(ring.matches('v', 'ctx', fp, 'unknownkeyid'))
  t.notOk(ring.matches('v', 'ctx', 'abc', ring.activeKeyId), 'a malformed fingerprint does not match')
})

t.test('construction: no keys refused; production refuses short secrets; a repeated secret is one key', async (t) => {
  t.throws(() => new Keyring([]), { code: 'PULSE_BAD_OPTION', message: /vault\.keys/ })
  t.throws(() => new Keyring([A, 'short'], { production: true }), { code: 'PULSE_BAD_OPTION', message: /vault\.keys.*32/ })
  t.doesNotThrow(() => new Keyring(['short']), 'outside production a short secret is allowed')
  t.same(new Keyring([A, A]).keyIds, [new Keyring([A]).activeKeyId])
})

t.test('associated data: a ciphertext copied onto another record does not open', async (t) => {
  const { app } = await build(t, { vault: { keys: [A] } })
  const vault = app.pulse.vault
  const repo = await app.pulse.store.repository('secrets', secretsRepository)
  await vault.put('P1', 'source', 'source value')
  await vault.put('P1', 'source', 'source value v2')
  await vault.put('P2', 'source', 'other project')
  await vault.put('P1', 'other', 'other name')
  const [v1, v2] = await repo.versions('P1', 'source')
  const copyOnto = async (project: string, name: string, version: number) => {
    const target = (await repo.versions(project, name)).find((r) => r.version === version)!
    t.ok(await repo.reseal(target.id, target.ciphertext, { ciphertext: v1!.ciphertext, keyId: v1!.keyId, fingerprint: target.fingerprint, updatedAt: new Date() }))
  }
  // Other project (same name, same version 1).
  await copyOnto('P2', 'source', 1)
  await t.rejects(vault.resolve('P2', 'source'), { code: 'PULSE_VAULT_DECRYPT_FAILED' }, 'other project')
  // Other name (same project, same version 1).
  await copyOnto('P1', 'other', 1)
  await t.rejects(vault.resolve('P1', 'other'), { code: 'PULSE_VAULT_DECRYPT_FAILED' }, 'other name')
  // Other version (same project and name): version 1's ciphertext on version 2.
  t.equal(await vault.resolve('P1', 'source'), 'source value v2')
  await copyOnto('P1', 'source', v2!.version)
  await t.rejects(vault.resolve('P1', 'source'), { code: 'PULSE_VAULT_DECRYPT_FAILED' }, 'other version')
})

t.test('a tampered stored ciphertext fails to resolve, and is left as it is', async (t) => {
  const { app } = await build(t, { vault: { keys: [A] } })
  const repo = await app.pulse.store.repository('secrets', secretsRepository)
  await app.pulse.vault.put('P', 'x', 'plain value')
  const record = (await repo.latest('P', 'x'))!
  const bad = flip(record.ciphertext, 3)
  await repo.reseal(record.id, record.ciphertext, { ciphertext: bad, keyId: record.keyId, fingerprint: record.fingerprint, updatedAt: record.updatedAt })
  const err = await app.pulse.vault.resolve('P', 'x').then(() => undefined, (e: unknown) => e as Error & { code: string })
  t.equal(err?.code, 'PULSE_VAULT_DECRYPT_FAILED')
  t.notMatch(String(err?.message), /plain/)
  t.equal((await repo.latest('P', 'x'))?.ciphertext, bad)
})
