import fp from 'fastify-plugin'
import type { FastifyPluginAsync } from 'fastify'
import { OptionError } from '../../lib/errors.js'
import { resolveOptions } from '../../lib/options.js'
import { createPricing } from '../../lib/pricing.js'
import { looksLikeApiKey } from '../auth/keys.js'
import { registerRoutes } from '../core/register-routes.js'
import { ProxyOptions } from './options.js'
import { createPassthrough, originProblem } from './passthrough.js'
import { createProviderRegistry, ProviderConfigError } from './providers/registry.js'
import { proxyRoutes } from './routes.js'
import { createProxyService } from './service.js'
import { unpricedRepository } from './store/index.js'
import { abortSignalOf, createAgent, createCallUpstream, type CallUpstream, type SendUpstream } from './upstream.js'
import './types.js'

type DeepPartial<T> = { [K in keyof T]?: T[K] extends Record<string, unknown> ? Partial<T[K]> : T[K] }

export type PulseProviderProxyOptions = DeepPartial<ProxyOptions> & {
  /**
   * Replace how upstreams are called (tests, or part 2's resilience wrapper); receives the
   * default implementation.
   */
  callUpstream?: (base: CallUpstream) => CallUpstream
}

const pulseProviderProxyPlugin: FastifyPluginAsync<PulseProviderProxyOptions> = async (app, raw) => {
  const { callUpstream: wrap, ...rest } = raw ?? {}
  const options = resolveOptions(ProxyOptions, rest, 'proxy')
  const { production, bodyLimit } = app.pulse.options

  let registry
  try {
    registry = createProviderRegistry(options.providers, { production, defaultProvider: options.defaultProvider, scope: 'proxy.providers' })
  } catch (err) {
    if (err instanceof ProviderConfigError) throw new OptionError(err.message)
    throw err
  }
  for (const [name, origin] of Object.entries(options.passthrough)) {
    const problem = originProblem(origin.url)
    if (problem !== undefined) throw new OptionError(`option "proxy.passthrough.${name}.url" ${problem}`)
  }
  if (registry.get('mock') !== undefined) {
    app.log.warn('pulse-proxy: the mock provider is enabled (development only; refused in production)')
  }

  const { timeouts, keepAlive } = options
  const agent = createAgent({
    connectMs: timeouts.connectMs,
    headersMs: timeouts.headersMs,
    idleMs: timeouts.idleMs,
    connections: keepAlive.connections,
    keepAliveMs: keepAlive.timeoutMs
  })
  // Upstream sockets are ours: closed after the server stopped taking requests.
  app.addHook('onClose', async () => { await agent.close() })
  const base = createCallUpstream(agent)
  // A host's wrapper gets a real AbortSignal, as CallUpstream promises.
  const wrapped = wrap?.(base)
  const callUpstream: SendUpstream = wrapped === undefined ? base : async (adapter, req, signal) => await wrapped(adapter, req, abortSignalOf(signal))

  const unpriced = await app.pulse.store.repository('unpricedModels', unpricedRepository(options.maxUnpricedModels))
  const service = createProxyService({
    registry,
    pricing: createPricing(options.pricing),
    callUpstream,
    vaultKey: async (projectId, provider) => await app.pulse.vault.providerKey(projectId, provider),
    // Looked up per call, so a host (or a test) can wrap app.pulse.traces after registration.
    recordTrace: (trace) => app.pulse.traces.record(trace),
    unpriced,
    log: app.log,
    providerKeyCacheMs: options.providerKeyCacheMs,
    idleMs: timeouts.idleMs
  })
  app.pulse.proxy = Object.assign(service, { registry })

  // The official Anthropic SDK sends its key as `x-api-key`: accept a pulse key there too, so
  // changing only `baseURL` and `apiKey` is enough.
  app.pulse.addAuthStrategy('api_key_header', async (request) => {
    const token = request.headers['x-api-key']
    if (typeof token !== 'string' || !looksLikeApiKey(token)) return undefined
    return await app.pulse.auth.verifyApiKey(token)
  })

  const passthrough = createPassthrough({
    origins: options.passthrough,
    dispatcher: agent,
    secret: async (projectId, name) => await app.pulse.vault.resolve(projectId, name),
    headersMs: timeouts.headersMs,
    idleMs: timeouts.idleMs
  })

  await registerRoutes(app, proxyRoutes({
    service,
    passthrough,
    sessionKey: (request, provider) => app.pulse.auth.sessionProviderKey(request, provider),
    overheadHeader: options.overheadHeader,
    bodyLimit
  }))
}

export const pulseProviderProxy = fp(pulseProviderProxyPlugin, {
  name: 'pulse-provider-proxy',
  fastify: '5.x',
  dependencies: ['pulse-core', 'pulse-auth', 'pulse-vault', 'pulse-traces']
})
