import t from 'tap'
import { capBody, capString, classifyKey, isSecretKey, PLAIN_KEYS, redact, redactHeaders, REDACTED } from '../../lib/redact.js'

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
  t.equal(capString('abc', 100), 'abc')
  t.match(capString('x'.repeat(500), 100), /^x+…\[truncated by pulse-proxy: 500 bytes\]$/)
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
