import { performance } from 'node:perf_hooks'
import { request, type Dispatcher } from 'undici'
import { describe } from '../../lib/errors.js'
import { OriginUnconfiguredError, PassthroughPathError, upstreamError } from './errors.js'
import type { PassthroughOrigin } from './options.js'
import type { HeaderBag } from './providers/types.js'
import { classifyTransportError, errorCode, readBody, type CallSignal } from './upstream.js'
import createError from '@fastify/error'
import { isLoopbackUrl } from '../../lib/net.js'

export const OriginSecretMissingError = createError<[string, string]>('PULSE_ORIGIN_SECRET_MISSING',
  'Passthrough origin "%s" needs the project secret "%s", which is not set', 400)

/** Checked at registration: why an origin URL is refused, or undefined. */
export function originProblem (value: string): string | undefined {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    return 'must be an absolute URL'
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return 'must be an http(s) URL'
  // Seed 004: plain http only to a loopback host; anything else must be https.
  if (url.protocol === 'http:' && !isLoopbackUrl(url)) return 'must use https:// (http:// only for a loopback host)'
  if (url.username !== '' || url.password !== '') return 'must not carry credentials'
  if (url.search !== '' || url.hash !== '') return 'must not have a query or fragment'
  return undefined
}

/** Request headers an origin may see. The caller's credentials (ours) and Host never leave. */
const FORWARD_REQUEST = ['accept', 'accept-language', 'content-type', 'if-match', 'if-none-match', 'if-modified-since', 'if-unmodified-since', 'user-agent', 'last-event-id']

/** Response headers not passed back: hop-by-hop, length (we may re-frame), cookies for another site, its request id (ours is the correlation id). */
const DROP_RESPONSE = new Set(['connection', 'keep-alive', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'proxy-authenticate', 'proxy-authorization', 'content-length', 'set-cookie', 'x-request-id', 'alt-svc', 'strict-transport-security'])

/**
 * The target URL for `rest` (the part of the raw, still-encoded request URL after
 * `/passthrough/<origin>`), or a reason to refuse. Whatever the client writes, the result is
 * on the configured origin and under its base path: dot segments, encoded slashes or dots,
 * backslashes, `@` and empty segments are refused rather than interpreted.
 */
export function targetUrl (base: string, rest: string): { ok: true, url: string } | { ok: false, reason: string } {
  const q = rest.indexOf('?')
  const path = q === -1 ? rest : rest.slice(0, q)
  const query = q === -1 ? '' : rest.slice(q + 1)
  if (path !== '' && !path.startsWith('/')) return { ok: false, reason: 'the path must start with /' }
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f\s\\@]/.test(path)) return { ok: false, reason: 'the path holds a control character, space, backslash or @' }
  if (/%(2f|5c|2e|40|00)/i.test(path)) return { ok: false, reason: 'the path holds an encoded slash, backslash, dot, @ or NUL' }
  const segments = path.split('/').slice(1)
  for (const [i, s] of segments.entries()) {
    // `..;x` is a dot segment to some servers (Tomcat path parameters).
    if (/^\.\.?(;|$)/.test(s)) return { ok: false, reason: 'the path holds a dot segment' }
    if (s === '' && i !== segments.length - 1) return { ok: false, reason: 'the path holds an empty segment' }
  }
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f\s#]/.test(query)) return { ok: false, reason: 'the query holds a control character, space or #' }
  const origin = new URL(base)
  const basePath = origin.pathname.replace(/\/+$/, '')
  const target = new URL(origin.origin)
  target.pathname = basePath + path
  target.search = query === '' ? '' : `?${query}`
  // Belt and braces: whatever URL parsing did, the result must be on the same origin, under the base path.
  if (target.origin !== origin.origin) return { ok: false, reason: 'the path leaves the origin' }
  if (basePath !== '' && target.pathname !== basePath && !target.pathname.startsWith(`${basePath}/`)) {
    return { ok: false, reason: 'the path leaves the base path' }
  }
  return { ok: true, url: target.href }
}

export interface PassthroughInput {
  origin: string
  /** The raw URL after `/passthrough/<origin>` (path and query, as the client encoded it). */
  rest: string
  method: string
  headers: HeaderBag
  body?: Buffer
  projectId: string
  requestId: string
  signal: CallSignal
  startedAt: number
}

export interface PassthroughResult {
  status: number
  headers: Record<string, string | string[]>
  body: AsyncIterable<Uint8Array>
  overheadMs: number
}

export interface PassthroughDeps {
  origins: Record<string, PassthroughOrigin>
  dispatcher: Dispatcher
  secret: (projectId: string, name: string) => Promise<string | null>
  headersMs: number
  idleMs: number
  clock?: () => number
}

export function createPassthrough (deps: PassthroughDeps) {
  const clock = deps.clock ?? (() => performance.now())

  return async function passthrough (input: PassthroughInput): Promise<PassthroughResult> {
    const origin = deps.origins[input.origin]
    if (origin === undefined || !Object.hasOwn(deps.origins, input.origin)) {
      throw describe(new OriginUnconfiguredError(input.origin), { cause: 'origin_unconfigured', retryable: false })
    }
    const target = targetUrl(origin.url, input.rest)
    if (!target.ok) throw new PassthroughPathError(target.reason)

    const headers: Record<string, string> = { 'x-request-id': input.requestId }
    for (const name of FORWARD_REQUEST) {
      const v = input.headers[name]
      const value = Array.isArray(v) ? v.join(', ') : v
      if (value !== undefined) headers[name] = value
    }
    if (origin.secret !== undefined) {
      const secret = await deps.secret(input.projectId, origin.secret)
      if (secret === null) throw new OriginSecretMissingError(input.origin, origin.secret)
      headers.authorization = `Bearer ${secret}`
    }
    const method = input.method.toUpperCase() as Dispatcher.HttpMethod
    const hasBody = method !== 'GET' && method !== 'HEAD' && input.body !== undefined && input.body.length > 0

    const t0 = clock()
    let res: Dispatcher.ResponseData
    try {
      res = await request(target.url, {
        dispatcher: deps.dispatcher,
        method,
        headers,
        body: hasBody ? input.body : null,
        signal: input.signal,
        headersTimeout: origin.timeoutMs ?? deps.headersMs,
        bodyTimeout: deps.idleMs
      })
    } catch (err) {
      const kind = classifyTransportError(err, input.signal)
      const timeout = kind === 'connect_timeout' || kind === 'headers_timeout' || kind === 'idle_timeout'
      throw upstreamError({
        code: timeout ? 'PULSE_PROVIDER_TIMEOUT' : 'PULSE_UPSTREAM_ERROR',
        status: timeout ? 504 : 502,
        message: `passthrough origin ${input.origin}: ${timeout ? 'timed out' : `could not be reached (${errorCode(err)})`}`,
        retryable: true,
        cause: timeout ? 'provider_timeout' : 'network_error'
      })
    }
    const upstreamMs = clock() - t0
    if (res.statusCode >= 500) {
      await readBody(res.body).catch(() => '')
      throw upstreamError({
        code: 'PULSE_UPSTREAM_ERROR',
        status: 502,
        message: `passthrough origin ${input.origin} answered ${res.statusCode}`,
        retryable: true,
        cause: 'upstream_5xx'
      })
    }
    const out: Record<string, string | string[]> = {}
    for (const [name, value] of Object.entries(res.headers)) {
      if (value === undefined || DROP_RESPONSE.has(name)) continue
      out[name] = value
    }
    return { status: res.statusCode, headers: out, body: res.body, overheadMs: Math.max(0, clock() - input.startedAt - upstreamMs) }
  }
}
