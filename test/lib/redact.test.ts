import t from 'tap'
import { capBody, capString, classifyKey, isSecretKey, jsonBytesBound, PLAIN_KEYS, redact, redactHeaders, REDACTED } from '../../lib/redact.js'
import { rng } from '../helpers/rng.js'

t.test('secret-looking keys', async (t) => {
  for (const k of ['authorization', 'Authorization', 'x-api-key', 'api_key', 'apiKey', 'OPENAI_API_KEY', 'cookie', 'Set-Cookie', 'password',
    'client_secret', 'access_token', 'refresh_token', 'token', 'x-admin-key', 'private_key', 'proxy-authorization']) {
    t.ok(isSecretKey(k), k)
  }
  for (const k of ['max_tokens', 'input_tokens', 'prompt_tokens', 'model', 'content', 'messages', 'max_token', 'session_id', 'key_id']) {
    t.notOk(isSecretKey(k), k)
  }
})

t.test('redact: deep, copies, masks credentials inside strings', async (t) => {
  const input = { a: { Authorization: 'Bearer abc', list: [{ password: 'p' }, 'use sk-ant-api03-AAAAAAAAAAAAAAAAAAAA now'] }, n: 1, empty: '' }
  const out = redact(input)
  t.same(out, { a: { Authorization: REDACTED, list: [{ password: REDACTED }, `use ${REDACTED} now`] }, n: 1, empty: '' })
  t.equal(input.a.Authorization, 'Bearer abc', 'the input is not modified')
  t.equal(redact('Authorization: Bearer eyJhbGciOi.eyJzdWIiOiIx.c2lnbmF0dXJl'), `Authorization: ${REDACTED}`)
  t.equal(redact('plain text'), 'plain text')
})

t.test('redactHeaders', async (t) => {
  t.same(redactHeaders({ authorization: 'Bearer x', 'content-type': 'application/json', cookie: 'a=b', 'x-list': ['ok', 'pulse_sk_abcdefghijkl'], gone: undefined }),
    { authorization: REDACTED, 'content-type': 'application/json', cookie: REDACTED, 'x-list': ['ok', REDACTED] })
})

t.test('capBody / capString', async (t) => {
  const small = { a: 1 }
  t.equal(capBody(small, 1024), small)
  const big = { s: 'ü'.repeat(1000) }
  const capped = capBody(big, 1024)
  t.equal(capped._pulse_truncated, true)
  t.equal(capped.original_bytes, Buffer.byteLength(JSON.stringify(big)))
  t.ok(Buffer.byteLength(capped.preview as string) <= 1024)
  t.notMatch(capped.preview as string, /\uFFFD/, 'no broken character at the cut')
  // Just over the cap by bytes, though its bound walk and its character count say little.
  const edge = { s: '\u0001'.repeat(200) }
  t.equal(capBody(edge, 1201)._pulse_truncated, true, 'escaped control characters count as their JSON bytes')
  t.equal(capBody(edge, 1210), edge)
  t.equal(capBody({ d: new Date(0) }, 1024).d instanceof Date, true, 'a value with toJSON is measured by serialising it')
  const numbers = { a: Array(1000).fill(-0.0000012345678901234567) }
  t.equal(capBody(numbers, Buffer.byteLength(JSON.stringify(numbers)) - 1)._pulse_truncated, true, 'the longest numbers count in full')
  const custom = Object.assign([1], { toJSON: () => 'x'.repeat(100_000) })
  t.equal(capBody({ a: custom }, 1000)._pulse_truncated, true, 'an array with toJSON is measured by serialising it')
  t.equal(capString('abc', 100), 'abc')
  t.match(capString('x'.repeat(500), 100), /^x+…\[truncated by pulse-proxy: 500 bytes\]$/)
})

t.test('jsonBytesBound is never under the real size (random JSON values)', async (t) => {
  const chars = ['a', 'ü', '€', '😀', '"', '\\', '\n', '\u0001', '\u2028']
  for (let seed = 1; seed <= 300; seed++) {
    const r = rng(seed)
    const pick = <T>(xs: T[]): T => xs[Math.floor(r() * xs.length)] as T
    const value = (depth: number): unknown => {
      const k = Math.floor(r() * (depth > 4 ? 4 : 6))
      if (k === 0) return Array.from({ length: Math.floor(r() * 20) }, () => pick(chars)).join('')
      if (k === 1) return pick([0, -1.5e-300, 123456789.12345679, -0.0000012345678901234567, -1.2345678901234567e-6, Number.MAX_VALUE, NaN, -0])
      if (k === 2) return pick([true, false, null])
      if (k === 3) return undefined
      if (k === 4) return Array.from({ length: Math.floor(r() * 5) }, () => value(depth + 1))
      return Object.fromEntries(Array.from({ length: Math.floor(r() * 5) }, () => [pick(chars) + pick(chars), value(depth + 1)]))
    }
    const v = { root: value(0) }
    const bytes = Buffer.byteLength(JSON.stringify(v))
    t.ok(jsonBytesBound(v, Infinity, 0) >= bytes, `seed ${seed}`)
    // With a limit, the walk may stop early, but only once it is past the limit.
    const limit = Math.floor(bytes / 2)
    const bounded = jsonBytesBound(v, limit, 0)
    t.ok(bounded > limit || bounded >= bytes, `seed ${seed}, limit ${limit}`)
  }
})

t.test('redact leaves its input untouched and shares only what it did not change', async (t) => {
  const clean = { model: 'm', messages: [{ role: 'user', content: 'hi' }] }
  const body = { model: 'm', messages: [{ role: 'user', content: 'hi' }, { role: 'user', content: 'key sk-0123456789abcdefghij' }], meta: { api_key: 'x', n: 1 } }
  const before = structuredClone(body)
  const out = redact(body)
  t.same(body, before, 'the input is not modified')
  t.equal(out.messages[1]?.content, `key ${REDACTED}`)
  t.equal(out.meta.api_key, REDACTED)
  t.equal(out.meta.n, 1)
  t.not(out, body)
  t.not(out.messages, body.messages)
  t.equal(out.messages[0], body.messages[0], 'an unchanged element is shared')
  t.equal(redact(clean), clean, 'a body with nothing to mask is returned as it is')
  const when = new Date(0)
  t.same(redact({ when }), { when: {} }, 'a non-plain object is still copied into a plain one')
})

t.test('the fast list of plain field names holds no name the full rule calls secret', async (t) => {
  for (const k of PLAIN_KEYS) t.notOk(classifyKey(k), k)
  t.ok(isSecretKey('api_key'), 'names off the list still go through the full rule')
})
