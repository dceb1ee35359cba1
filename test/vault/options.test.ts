import t, { type Test } from 'tap'
import Fastify from 'fastify'
import { pulseProxy, type PulseProxyOptions } from '../../plugins/pulse-proxy.js'
import { ADMIN_KEY, build } from '../helpers/app.js'

const LONG = 'a-production-grade-secret-of-40-characters'
const LONG_PREV = 'the-previous-production-secret-40-chars!!'

async function ready (t: Test, opts: PulseProxyOptions) {
  const app = Fastify({ logger: false })
  t.teardown(() => app.close())
  await app.register(pulseProxy, { adminKey: ADMIN_KEY, ...opts })
  return app.ready()
}

t.test('production refuses a vault secret shorter than 32 characters, naming vault.keys', async (t) => {
  await t.rejects(ready(t, { production: true, vault: { keys: ['too-short-secret'] } }), { code: 'PULSE_BAD_OPTION', message: /"vault\.keys".*32/ })
  await t.rejects(ready(t, { production: true, vault: { keys: [LONG, 'short-previous'] } }), { message: /"vault\.keys"/ }, 'a short previous key too')
  await t.resolves(ready(t, { production: true, vault: { keys: [LONG, LONG_PREV] } }))
})

t.test('production refuses to start without vault keys', async (t) => {
  await t.rejects(ready(t, { production: true }), { code: 'PULSE_BAD_OPTION', message: /"vault\.keys".*required in production/ })
  await t.rejects(ready(t, { production: true, vault: { keys: [undefined, undefined] } }), { message: /"vault\.keys"/ }, 'unset env entries are no keys')
})

t.test('outside production: short keys work; no keys means a random per-process key, with a warning', async (t) => {
  const { app, logs } = await build(t, { vault: {} })
  t.ok(logs.lines.some((l) => l.level === 40 && /no vault\.keys configured/.test(String(l.msg))))
  t.equal((await app.pulse.vault.put('p', 'x', 'v')).version, 1)
  t.equal(await app.pulse.vault.resolve('p', 'x'), 'v')
  await t.resolves(ready(t, { vault: { keys: ['short'] } }))
})

t.test('unset entries after the active key are ignored; an unset active key with a previous one is refused', async (t) => {
  const { app } = await build(t, { vault: { keys: [LONG, undefined] } })
  t.same(app.pulse.vault.keyring.keyIds.length, 1)
  const withEmpty = await build(t, { vault: { keys: [LONG, ''] } })
  t.same(withEmpty.app.pulse.vault.keyring.keyIds, app.pulse.vault.keyring.keyIds, 'an empty string is unset too')
  await t.rejects(ready(t, { vault: { keys: [undefined, LONG_PREV] } }), { code: 'PULSE_BAD_OPTION', message: /"vault\.keys\[0\]" \(the active key\)/ })
  await t.rejects(ready(t, { vault: { keys: [LONG, 42 as unknown as string] } }), { message: /"vault\.keys\[1\]"/ })
  await t.rejects(ready(t, { vault: { keys: [LONG], maxValueLength: 0 } }), { message: /"vault\.maxValueLength"/ })
  await t.rejects(ready(t, { vault: { keys: [LONG], nope: 1 } as never }), { message: /"vault\.nope" is not a known option/ })
})
