import t from 'tap'
import { anthropicProvider } from '../../../plugins/proxy/providers/anthropic.js'
import { mapUpstreamError, parseRetryAfter, redactSecrets, withoutKey } from '../../../plugins/proxy/providers/errors.js'
import { openaiProvider } from '../../../plugins/proxy/providers/openai.js'
import { openrouterProvider } from '../../../plugins/proxy/providers/openrouter.js'
import { fixtureText } from '../../helpers/fixtures.js'

const now = Date.parse('2025-03-10T00:00:00Z')

t.test('status → cause, client status, retryability', async (t) => {
  const cases: Array<[number, string, number, boolean]> = [
    [400, 'provider_4xx', 400, false],
    [404, 'provider_4xx', 404, false],
    [422, 'provider_4xx', 422, false],
    [401, 'provider_auth', 502, false],
    [403, 'provider_auth', 502, false],
    [408, 'provider_timeout', 504, true],
    [429, 'provider_rate_limited', 429, true],
    [500, 'provider_5xx', 502, true],
    [502, 'provider_5xx', 502, true],
    [503, 'provider_5xx', 503, true],
    [529, 'provider_5xx', 503, true]
  ]
  for (const [status, cause, clientStatus, retryable] of cases) {
    const f = mapUpstreamError('openai', status, {}, '', now)
    t.equal(f.cause, cause, `${status} cause`)
    t.equal(f.status, clientStatus, `${status} client status`)
    t.equal(f.retryable, retryable, `${status} retryable`)
    t.equal(f.upstreamStatus, status)
    t.match(f.code, /^PULSE_PROVIDER_/)
  }
})

t.test('a rejected provider key never echoes the key, and says which provider', async (t) => {
  const f = openaiProvider().mapError(401, {}, fixtureText('openai/error-401.json'), now)
  t.equal(f.message, 'openai: the provider rejected the configured credential')
  t.notMatch(JSON.stringify(f), /sk-proj/)
  t.equal(f.providerType, 'invalid_request_error')
})

t.test('provider messages are kept, with key-like strings redacted', async (t) => {
  t.equal(redactSecrets('bad key sk-proj-abcdef1234567890 and Bearer abc.def'), 'bad key [redacted] and Bearer [redacted]')
  const f = mapUpstreamError('custom', 400, {}, JSON.stringify({ error: { message: 'key sk-live-abcdefgh1234 is malformed' } }), now)
  t.equal(f.message, 'custom: key [redacted] is malformed')
})

t.test('Anthropic error bodies: type and message read', async (t) => {
  const f = anthropicProvider().mapError(529, {}, fixtureText('anthropic/error-529.json'), now)
  t.equal(f.cause, 'provider_5xx')
  t.equal(f.providerType, 'overloaded_error')
  t.equal(f.message, 'anthropic: Overloaded')
  const bad = anthropicProvider().mapError(400, {}, fixtureText('anthropic/error-400.json'), now)
  t.equal(bad.message, 'anthropic: max_tokens: Field required')
  t.equal(bad.status, 400)
})

t.test('OpenRouter 402 is a client-visible 4xx', async (t) => {
  const f = openrouterProvider().mapError(402, {}, fixtureText('openrouter/error-402.json'), now)
  t.equal(f.cause, 'provider_4xx')
  t.equal(f.status, 402)
  t.match(f.message, /^openrouter: Insufficient credits/)
})

t.test('Retry-After: seconds, HTTP date, retry-after-ms; absent or junk → undefined', async (t) => {
  t.equal(parseRetryAfter({ 'retry-after': '2' }, now), 2000)
  t.equal(parseRetryAfter({ 'retry-after': '0.5' }, now), 500)
  t.equal(parseRetryAfter({ 'retry-after': new Date(now + 7000).toUTCString() }, now), 7000)
  t.equal(parseRetryAfter({ 'retry-after-ms': '1234.2', 'retry-after': '9' }, now), 1235)
  t.equal(parseRetryAfter({ 'retry-after': ['3', '4'] }, now), 3000)
  t.equal(parseRetryAfter({}, now), undefined)
  t.equal(parseRetryAfter({ 'retry-after': 'soon' }, now), undefined)
  const f = openaiProvider().mapError(429, { 'retry-after': '2' }, fixtureText('openai/error-429.json'), now)
  t.equal(f.retryAfterMs, 2000)
  t.match(f.message, /^openai: Rate limit reached/)
})

t.test('non-JSON error bodies still map', async (t) => {
  const f = mapUpstreamError('puter', 502, {}, '<html>Bad gateway</html>', now)
  t.equal(f.message, 'puter: status 502')
})

t.test('withoutKey: the key used is masked wherever the upstream quoted it, whatever its shape', async (t) => {
  const key = 'gsk_live_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789'
  const failure = { cause: 'provider_4xx' as const, status: 400, code: 'PULSE_PROVIDER_ERROR', message: `bad key ${key}; prefix ${key.slice(0, 12)}…; tail …${key.slice(-8)}`, retryable: false, upstreamStatus: 400 }
  const masked = withoutKey(failure, key)
  t.notMatch(masked.message, /AbCdEf|456789|gsk_live_AbC/)
  t.match(masked.message, /\[redacted\]/)
  t.equal(withoutKey(failure, undefined), failure, 'no key, nothing to do')
})
