import type { OutgoingHttpHeaders } from 'node:http'
import { performance } from 'node:perf_hooks'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { ok } from '../../lib/envelope.js'
import type { PassthroughInput, PassthroughResult } from './passthrough.js'
import type { JsonObject } from './providers/json.js'
import type { Operation, WireFormat } from './providers/types.js'
import {
  ChatCompletionBody, EmbeddingsBody, MessagesBody, MetricsResponse, ModelList, ModelsQuery, PassthroughParams,
  ProviderBody, UnpricedQuery, UnpricedResponse
} from './schemas.js'
import type { CallOutcome, ProxyService, SessionKey } from './service.js'
import { ClientSignal } from './upstream.js'

export interface ProxyRoutesDeps {
  service: ProxyService
  passthrough: (input: PassthroughInput) => Promise<PassthroughResult>
  /** The caller's BYOK session key for a provider (pulse-auth), or null. */
  sessionKey: (request: FastifyRequest, provider: string) => Promise<string | null>
  overheadHeader: string | false
  bodyLimit: number
}

const bearer: Array<Record<string, string[]>> = [{ bearer: [] }, { sessionCookie: [] }]

/** Aborted when the client goes away before the response finished. */
function clientSignal (reply: FastifyReply): ClientSignal {
  const signal = new ClientSignal()
  reply.raw.once('close', () => {
    if (!reply.raw.writableFinished) signal.abort()
  })
  return signal
}

/** A caller without a BYOK session: no session key, and no promise to say so. */
const noSessionKey: SessionKey = () => null

/** When the request arrived, on the service's clock: auth and body parsing count as our overhead. */
function startedAt (reply: FastifyReply): number {
  return performance.now() - reply.elapsedTime
}

export function proxyRoutes (deps: ProxyRoutesDeps) {
  const { service } = deps

  /** The caller's BYOK session keys: only a session-authenticated caller has any. */
  function sessionKeyOf (request: FastifyRequest): SessionKey {
    return request.pulse?.via === 'session' ? (provider) => deps.sessionKey(request, provider) : noSessionKey
  }

  function reply (res: FastifyReply, outcome: CallOutcome | PassthroughResult & { kind?: undefined }) {
    res.code(outcome.status).headers(outcome.headers)
    if (deps.overheadHeader !== false) res.header(deps.overheadHeader, outcome.overheadMs.toFixed(3))
    if (outcome.kind !== 'stream') return res.send(outcome.body)
    // SSE goes to the client's response as it comes, with the headers the request's hooks set
    // (correlation id, a host's CORS or security headers). Fastify does not send it, so a
    // host's onSend hooks do not see it (README, "Decisions"); onResponse hooks and the
    // request log still run.
    res.hijack()
    try {
      res.raw.writeHead(outcome.status, res.getHeaders() as OutgoingHttpHeaders)
    } catch (err) {
      // A header a hook set that Node refuses (a control character): nothing can be sent.
      res.log.error({ err }, 'pulse-proxy: the streamed answer\'s headers could not be written')
      outcome.body.abandon()
      res.raw.destroy()
      return res
    }
    outcome.body.start(res.raw)
    return res
  }

  async function proxied (request: FastifyRequest, res: FastifyReply, operation: Exclude<Operation, 'models'>, clientFormat: WireFormat) {
    const principal = request.pulse!
    const sessionHeader = request.headers['x-pulse-session-id']
    const outcome = await service.call({
      operation,
      clientFormat,
      body: request.body as JsonObject,
      projectId: principal.projectId,
      requestId: String(request.id),
      clientHeaders: request.headers,
      sessionKey: sessionKeyOf(request),
      signal: clientSignal(res),
      startedAt: startedAt(res),
      ...(typeof sessionHeader === 'string' && sessionHeader !== '' && sessionHeader.length <= 256 ? { sessionId: sessionHeader } : {})
    })
    return reply(res, outcome)
  }

  // The handlers return proxied()'s promise as it is: an async wrapper would add one per request.
  return async function routes (parent: FastifyInstance) {
    const scope = parent.withTypeProvider<TypeBoxTypeProvider>()

    scope.post('/chat/completions', {
      schema: {
        tags: ['proxy'],
        summary: 'OpenAI-compatible chat completions (streaming and not), routed by model to any configured provider',
        security: bearer,
        body: ChatCompletionBody,
        response: { 200: ProviderBody }
      }
    }, (request, res) => proxied(request, res, 'chat', 'openai'))

    scope.post('/embeddings', {
      schema: { tags: ['proxy'], summary: 'OpenAI-compatible embeddings', security: bearer, body: EmbeddingsBody, response: { 200: ProviderBody } }
    }, (request, res) => proxied(request, res, 'embeddings', 'openai'))

    scope.post('/messages', {
      schema: { tags: ['proxy'], summary: 'Anthropic Messages API (streaming and not)', security: bearer, body: MessagesBody, response: { 200: ProviderBody } }
    }, (request, res) => proxied(request, res, 'messages', 'anthropic'))

    scope.get('/models', {
      schema: {
        tags: ['proxy'],
        summary: 'Models of every configured provider the project has a key for (ids prefixed with the provider), or of one provider',
        security: bearer,
        querystring: ModelsQuery,
        response: { 200: ModelList }
      }
    }, async (request, res) => {
      const list = await service.models({
        projectId: request.pulse!.projectId,
        requestId: String(request.id),
        sessionKey: sessionKeyOf(request),
        signal: clientSignal(res),
        ...(request.query.provider !== undefined ? { provider: request.query.provider } : {})
      })
      return list
    })

    scope.get('/pricing/unpriced', {
      schema: {
        tags: ['proxy'],
        summary: 'Models this project used that have no price: their calls were traced with no cost (cost_source none)',
        security: bearer,
        querystring: UnpricedQuery,
        response: { 200: UnpricedResponse }
      }
    }, async (request) => {
      const models = await service.unpriced(request.pulse!.projectId, request.query.limit)
      return ok({
        models: models.map((m) => ({ provider: m.provider, model: m.model, count: m.count, firstSeen: m.firstSeen.toISOString(), lastSeen: m.lastSeen.toISOString() }))
      })
    })

    scope.get('/metrics', {
      config: { auth: 'admin' },
      schema: { tags: ['proxy'], summary: 'Proxy counters and the overhead histogram (JSON)', security: [{ adminKey: [] }], response: { 200: MetricsResponse } }
    }, async () => ok(service.metrics()))

    // The passthrough forwards bodies as bytes: its own content-type parsing, in its own context.
    await scope.register(async (raw) => {
      raw.removeAllContentTypeParsers()
      raw.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: deps.bodyLimit }, (_req, body, done) => { done(null, body) })
      raw.withTypeProvider<TypeBoxTypeProvider>().route({
        method: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'],
        url: '/passthrough/:origin/*',
        schema: {
          tags: ['proxy'],
          summary: 'Forward to a configured origin (nothing else is reachable); the caller\'s credentials are not forwarded',
          security: bearer,
          params: PassthroughParams
        },
        handler: async (request, res) => {
          // The raw, still-encoded URL: the decoded `*` param would hide encoded slashes and dots.
          const url = request.raw.url ?? ''
          const marker = `/passthrough/${request.params.origin}`
          const at = url.indexOf(marker)
          const rest = at === -1 ? '\u0000' : url.slice(at + marker.length)
          const result = await deps.passthrough({
            origin: request.params.origin,
            rest,
            method: request.method,
            headers: request.headers,
            ...(Buffer.isBuffer(request.body) ? { body: request.body } : {}),
            projectId: request.pulse!.projectId,
            requestId: String(request.id),
            signal: clientSignal(res),
            startedAt: startedAt(res)
          })
          service.observeOverhead(result.overheadMs)
          // The answer is another origin's content served under ours, beside the session cookie's
          // path: never let a browser sniff it into a script or run it as a page.
          res.header('x-content-type-options', 'nosniff')
          res.header('content-security-policy', "sandbox; default-src 'none'")
          return reply(res, result)
        }
      })
    })
  }
}
