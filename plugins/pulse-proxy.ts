import fp from 'fastify-plugin'
import { Type, type Static } from '@sinclair/typebox'
import type { FastifyPluginAsync } from 'fastify'
import { OptionError } from '../lib/errors.js'
import { resolveOptions } from '../lib/options.js'
import { isPulseStore } from '../lib/store/index.js'
import type { PulseStore } from '../lib/store/types.js'
import { pulseAuth } from './auth/index.js'
import { AuthOptions, type AuthOptionsInput } from './auth/options.js'
import { pulseCore } from './core/index.js'
import { CoreOptions } from './core/options.js'
import { pulseVault } from './vault/index.js'
import { VaultOptions } from './vault/options.js'
import { pulseTraces, type PulseTracesOptions } from './traces/index.js'
import { TracesOptions } from './traces/options.js'
import { pulseAnalytics, type PulseAnalyticsOptions } from './analytics/index.js'
import { AnalyticsOptions } from './analytics/options.js'
import { pulseProviderProxy, type PulseProviderProxyOptions } from './proxy/index.js'
import { ProxyOptions } from './proxy/options.js'

/** Everything `pulseProxy` takes but the store, validated in one place so errors name the full path. */
export const PulseProxyOptions = Type.Object({
  ...CoreOptions.properties,
  adminKey: AuthOptions.properties.adminKey,
  auth: Type.Optional(Type.Omit(AuthOptions, ['adminKey'], { additionalProperties: false })),
  vault: Type.Optional(VaultOptions),
  traces: Type.Optional(TracesOptions),
  analytics: Type.Optional(AnalyticsOptions),
  providers: ProxyOptions.properties.providers,
  defaultProvider: ProxyOptions.properties.defaultProvider,
  proxy: Type.Optional(Type.Omit(ProxyOptions, ['providers', 'defaultProvider'], { additionalProperties: false }))
}, { additionalProperties: false })

export type PulseProxyOptions = Partial<Omit<Static<typeof PulseProxyOptions>, 'auth' | 'traces' | 'analytics' | 'proxy'>> & {
  store?: PulseStore
  /** Defaulted auth options may be left out (see plugins/auth/options.ts). */
  auth?: Omit<AuthOptionsInput, 'adminKey'>
  traces?: PulseTracesOptions
  analytics?: PulseAnalyticsOptions
  /** Provider proxy settings other than `providers` / `defaultProvider` (timeouts, passthrough, …). */
  proxy?: Omit<PulseProviderProxyOptions, 'providers' | 'defaultProvider'>
}

const pulseProxyPlugin: FastifyPluginAsync<PulseProxyOptions> = async (app, raw) => {
  const { store, ...rest } = raw
  if (store !== undefined && !isPulseStore(store)) {
    throw new OptionError('option "store" must be memoryStore() or mongoStore({ db } | { url })')
  }
  const { proxy: proxyRaw, ...checked } = rest
  const {
    prefix, production, bodyLimit, openapi, adminKey, auth, vault, traces, analytics, providers, defaultProvider
  } = resolveOptions(PulseProxyOptions, { ...checked, proxy: withoutHooks(proxyRaw) })

  await app.register(pulseCore, { store, prefix, production, bodyLimit, openapi })
  await app.register(pulseAuth, { ...auth, adminKey })
  await app.register(pulseVault, vault ?? {})
  await app.register(pulseTraces, (traces ?? {}) as PulseTracesOptions)
  await app.register(pulseAnalytics, analytics ?? {})
  // Prices configured for traces apply to proxied calls too, unless the proxy overrides them.
  const pricing = { ...traces?.pricing, ...proxyRaw?.pricing }
  await app.register(pulseProviderProxy, {
    ...proxyRaw,
    providers,
    pricing,
    ...(defaultProvider !== undefined ? { defaultProvider } : {})
  })
}

/** The proxy's function-valued hook is not an option TypeBox can check. */
function withoutHooks (proxy: PulseProxyOptions['proxy']) {
  if (proxy === undefined) return undefined
  const { callUpstream: _hook, ...plain } = proxy
  return plain
}

/** All pulse-proxy plugins in one registration: `await app.register(pulseProxy, opts)`. */
export const pulseProxy = fp(pulseProxyPlugin, { name: 'pulse-proxy', fastify: '5.x' })
