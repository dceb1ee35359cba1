import t from 'tap'
import Fastify from 'fastify'
import { loadConfig } from '../../examples/config.js'
import { pulseProxy } from '../../plugins/pulse-proxy.js'
import { Keyring } from '../../lib/crypto.js'

const KEY = 'example-active-key-0123456789abcdef0123'
const PREV = 'example-previous-key-0123456789abcdef01'

t.test('PULSE_ENCRYPTION_KEY and _PREV become vault.keys, active first', async (t) => {
  const config = loadConfig({ PULSE_ENCRYPTION_KEY: KEY, PULSE_ENCRYPTION_KEY_PREV: PREV })
  t.same(config.encryptionKeys, [KEY, PREV])
  t.notOk('PULSE_ENCRYPTION_KEY' in config.generated)
  const app = Fastify({ logger: false })
  t.teardown(() => app.close())
  await app.register(pulseProxy, { vault: { keys: config.encryptionKeys } })
  await app.ready()
  t.same(app.pulse.vault.keyring.keyIds, [new Keyring([KEY]).activeKeyId, new Keyring([PREV]).activeKeyId])
})

t.test('outside production a missing key is generated (to be printed once); no previous key', async (t) => {
  const config = loadConfig({ PULSE_ENCRYPTION_KEY_PREV: '' })
  const generated = config.generated.PULSE_ENCRYPTION_KEY
  t.ok(generated !== undefined && generated.length >= 32)
  t.same(config.encryptionKeys, [generated, undefined])
  const app = Fastify({ logger: false })
  t.teardown(() => app.close())
  await app.register(pulseProxy, { vault: { keys: config.encryptionKeys } })
  await app.ready()
  t.equal(app.pulse.vault.keyring.activeKeyId, new Keyring([generated!]).activeKeyId)
})

t.test('in production a missing key is not generated, and the server refuses to start', async (t) => {
  const config = loadConfig({ NODE_ENV: 'production', PULSE_ADMIN_KEY: 'admin-key-0123456789abcdef' })
  t.same(config.encryptionKeys, [undefined, undefined])
  t.same(config.generated, {})
  const app = Fastify({ logger: false })
  t.teardown(() => app.close())
  const starting = (async () => {
    await app.register(pulseProxy, { production: config.production, adminKey: config.adminKey, vault: { keys: config.encryptionKeys } })
    await app.ready()
  })()
  await t.rejects(starting, { message: /"vault\.keys".*required in production/ })
})
