/**
 * Make request/response bodies and headers safe to store: secret-looking fields are replaced,
 * secret-looking strings inside values are masked, and a body over a size cap is replaced by a
 * visible truncation marker. Pure functions: the proxy and the traces plugin share them.
 */

export const REDACTED = '[REDACTED]'
/** The key a truncated body carries, so readers can tell it from a real body. */
export const TRUNCATED_KEY = '_pulse_truncated'

// Compared after lower-casing and dropping `-`, `_` and `.`: `X-Api-Key`, `api_key`, `apiKey` all match.
const SECRET_KEYS = new Set([
  'authorization', 'proxyauthorization', 'cookie', 'setcookie', 'xapikey', 'apikey', 'apikeys', 'xadminkey',
  'adminkey', 'password', 'passwd', 'pwd', 'passphrase', 'secret', 'clientsecret', 'secretkey', 'privatekey',
  'accesskey', 'accesskeyid', 'secretaccesskey', 'token', 'accesstoken', 'refreshtoken', 'idtoken', 'authtoken',
  'bearertoken', 'sessiontoken', 'csrftoken', 'xcsrftoken', 'xauthtoken', 'xgoogapikey', 'credentials',
  'xamzsecuritytoken', 'ocpapimsubscriptionkey'
])
// Token *counts* are not secrets.
const NOT_SECRET = new Set(['maxtoken', 'mintoken', 'stoptoken', 'eostoken', 'bostoken', 'padtoken', 'unktoken'])

// Field names every traced body repeats (OpenAI/Anthropic requests and responses, trace
// metadata): known not to be secrets, answered without normalising the name. Each one is
// checked against the full rule in test/lib/redact.test.ts.
export const PLAIN_KEYS: ReadonlySet<string> = new Set([
  'model', 'messages', 'role', 'content', 'max_tokens', 'stream', 'stream_options', 'include_usage', 'temperature',
  'top_p', 'n', 'stop', 'user', 'tools', 'tool_choice', 'tool_calls', 'function', 'name', 'arguments', 'type', 'text',
  'system', 'input', 'data', 'embedding', 'encoding_format', 'id', 'object', 'created', 'choices', 'index', 'message',
  'refusal', 'logprobs', 'finish_reason', 'stop_reason', 'delta', 'usage', 'prompt_tokens', 'completion_tokens',
  'total_tokens', 'prompt_tokens_details', 'completion_tokens_details', 'cached_tokens', 'input_tokens',
  'output_tokens', 'correlation_id', 'operation', 'client_format', 'upstream_model', 'completion_id', 'code', 'cause',
  'status', 'upstream_status', 'system_fingerprint', 'service_tier'
])

/** True for a field or header name that holds a credential. */
export function isSecretKey (key: string): boolean {
  return PLAIN_KEYS.has(key) ? false : classifyKey(key)
}

/** The full rule: a normalised name checked against the lists and the credential suffixes. */
export function classifyKey (key: string): boolean {
  const k = key.toLowerCase().replace(/[-_.]/g, '')
  if (SECRET_KEYS.has(k)) return true
  if (NOT_SECRET.has(k)) return false
  return k.endsWith('apikey') || k.endsWith('secret') || k.endsWith('password') || k.endsWith('token') ||
    k.endsWith('privatekey') || k.endsWith('credential')
}

// Credentials that show up inside free text (a header value copied into metadata, a key pasted in a prompt).
const SECRET_VALUE = new RegExp([
  String.raw`\bBearer\s+[A-Za-z0-9._~+/=-]{8,}`,
  String.raw`\bBasic\s+[A-Za-z0-9+/=]{8,}`,
  String.raw`\bsk-[A-Za-z0-9_-]{16,}`, // OpenAI, Anthropic (sk-ant-…), OpenRouter (sk-or-…)
  String.raw`\bpulse_sk_[A-Za-z0-9_-]{8,}`,
  String.raw`\bAKIA[0-9A-Z]{16}\b`,
  String.raw`\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}`, // JWT
  String.raw`\bgh[pousr]_[A-Za-z0-9]{20,}`,
  String.raw`\bAIza[0-9A-Za-z_-]{30,}`
].join('|'), 'g')

/** Mask credentials found inside a string. */
export function redactString (value: string): string {
  // Fast path: most strings (prompts, completions) hold none of the trigger prefixes.
  if (!/Bearer|Basic|sk-|pulse_sk_|AKIA|eyJ|gh[pousr]_|AIza/.test(value)) return value
  return value.replace(SECRET_VALUE, REDACTED)
}

/**
 * `value` with secret fields replaced by `[REDACTED]` and secrets inside strings masked. Plain
 * objects and arrays with nothing to mask are returned as they are (shared, not copied): most
 * bodies hold no secret, and copying each one costs allocation and GC on every traced call.
 * A changed value is a new object; the input is never modified. Other objects (a Date, a class
 * instance) are copied into plain objects, as before.
 */
export function redact<T> (value: T, depth = 0): T {
  if (typeof value === 'string') return redactString(value) as T
  if (value === null || typeof value !== 'object') return value
  // Deeper than any real request body: cut rather than recurse without bound.
  if (depth > 64) return '[DEPTH LIMIT]' as T
  if (Array.isArray(value)) {
    let out: unknown[] | undefined
    for (let i = 0; i < value.length; i++) {
      const v: unknown = value[i]
      const r = redact(v, depth + 1)
      if (out === undefined && r !== v) out = value.slice(0, i)
      if (out !== undefined) out.push(r)
    }
    return (out ?? value) as T
  }
  const proto: unknown = Object.getPrototypeOf(value)
  const plain = proto === Object.prototype || proto === null
  let out: Record<string, unknown> | undefined = plain ? undefined : {}
  const keys = Object.keys(value)
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i] as string
    const v = (value as Record<string, unknown>)[k]
    const r = isSecretKey(k) && v !== null && v !== undefined && v !== '' ? REDACTED : redact(v, depth + 1)
    if (out === undefined && r !== v) {
      out = {}
      for (let j = 0; j < i; j++) out[keys[j] as string] = (value as Record<string, unknown>)[keys[j] as string]
    }
    if (out !== undefined) out[k] = r
  }
  return (out ?? value) as T
}

/** Headers as a plain object with credentials redacted (multi-value headers kept as arrays). */
export function redactHeaders (headers: Record<string, string | string[] | undefined>): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {}
  for (const [k, v] of Object.entries(headers)) {
    if (v === undefined) continue
    out[k] = isSecretKey(k) ? REDACTED : Array.isArray(v) ? v.map(redactString) : redactString(v)
  }
  return out
}

export interface TruncatedBody {
  [TRUNCATED_KEY]: true
  /** Size of the body as JSON, in bytes, before it was cut. */
  original_bytes: number
  /** The first bytes of that JSON; not parseable on its own. */
  preview: string
}

/**
 * The body itself when its JSON fits in `maxBytes`, else a marker object with a preview.
 * `maxBytes` counts UTF-8 bytes of the JSON text.
 */
export function capBody (body: Record<string, unknown>, maxBytes: number): Record<string, unknown> {
  // Most bodies are far under the cap: a walk that bounds their JSON size costs less than
  // serialising them (this runs for every traced body).
  if (jsonBytesBound(body, maxBytes, 0) <= maxBytes) return body
  const json = JSON.stringify(body)
  // A UTF-8 string is at most 3 bytes per UTF-16 unit: skip the byte count when it cannot be over.
  if (json.length * 3 <= maxBytes) return body
  const bytes = Buffer.byteLength(json)
  if (bytes <= maxBytes) return body
  const previewBytes = Math.max(0, maxBytes - 256)
  // Cut on a character boundary: decode the bytes and drop a trailing partial character.
  const preview = Buffer.from(json).subarray(0, previewBytes).toString('utf8').replace(/\uFFFD$/, '')
  const marker: TruncatedBody = { [TRUNCATED_KEY]: true, original_bytes: bytes, preview }
  return marker as unknown as Record<string, unknown>
}

// A UTF-16 unit is at most 6 bytes of JSON (`\u001f`); a number at most 25 characters
// (`-0.0000012345678901234567`).
const MAX_UNIT_BYTES = 6
const MAX_NUMBER_BYTES = 25

/**
 * An upper bound of the UTF-8 bytes of `JSON.stringify(value)`, or a number over `limit` as soon
 * as the bound passes it. Values the walk cannot bound (a `toJSON` method, other than plain
 * objects and arrays, very deep nesting) count as over the limit: the caller serialises them.
 */
export function jsonBytesBound (value: unknown, limit: number, depth: number): number {
  if (typeof value === 'string') return 2 + value.length * MAX_UNIT_BYTES
  if (typeof value === 'number') return MAX_NUMBER_BYTES
  if (typeof value === 'boolean' || value === null || value === undefined) return 5
  if (typeof value !== 'object' || depth > 64) return Infinity
  // JSON.stringify calls toJSON on arrays too (an own one, a subclass's, a polluted prototype's).
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return Infinity
  const proto: unknown = Object.getPrototypeOf(value)
  let total = 2
  if (Array.isArray(value)) {
    if (proto !== Array.prototype) return Infinity
    for (let i = 0; i < value.length && total <= limit; i++) total += 1 + jsonBytesBound(value[i], limit - total, depth + 1)
    return total
  }
  if (proto !== Object.prototype && proto !== null) return Infinity
  for (const k in value) {
    total += 4 + k.length * MAX_UNIT_BYTES + jsonBytesBound((value as Record<string, unknown>)[k], limit - total, depth + 1)
    if (total > limit) return total
  }
  return total
}

/** A string cut to `maxBytes` UTF-8 bytes with a visible marker saying how much was dropped. */
export function capString (value: string, maxBytes: number): string {
  if (value.length * 3 <= maxBytes) return value
  const bytes = Buffer.byteLength(value)
  if (bytes <= maxBytes) return value
  const kept = Buffer.from(value).subarray(0, Math.max(0, maxBytes - 64)).toString('utf8').replace(/\uFFFD$/, '')
  return `${kept}…[truncated by pulse-proxy: ${bytes} bytes]`
}
