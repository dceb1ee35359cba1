import { anthropicProvider } from './anthropic.js'
import { customProvider, type CustomProviderConfig } from './custom.js'
import { IncludeUsageMemory } from './include-usage.js'
import { mockProvider } from './mock.js'
import { openaiProvider } from './openai.js'
import { openrouterProvider } from './openrouter.js'
import type { ProviderConfig, ProvidersOptions } from './options.js'
import { puterProvider } from './puter.js'
import { routeModel, type Route, type RoutingTable } from './routing.js'
import type { Operation, ProviderAdapter, WireFormat } from './types.js'
import { isLoopbackUrl } from '../../../lib/net.js'

export const BUILT_IN_PROVIDERS = ['openai', 'anthropic', 'openrouter', 'puter', 'mock'] as const

/** Which options each built-in understands; anything else set on it is a configuration mistake. */
const ALLOWED: Record<string, ReadonlyArray<keyof ProviderConfig>> = {
  openai: ['baseUrl'],
  anthropic: ['baseUrl', 'version', 'defaultMaxTokens'],
  openrouter: ['baseUrl', 'referer', 'title'],
  puter: ['baseUrl', 'defaultModel'],
  mock: [],
  custom: ['baseUrl', 'includeUsage', 'defaultModel', 'headers', 'requiresKey']
}

/** A provider configuration mistake, naming the option; the proxy turns it into a failed `ready()`. */
export class ProviderConfigError extends Error {
  readonly option: string
  constructor (option: string, message: string) {
    super(`option "${option}" ${message}`)
    this.name = 'ProviderConfigError'
    this.option = option
  }
}

export interface RegistryOptions {
  /** Refuse providers that are not production-safe (mock) and plain-http non-loopback base URLs. */
  production: boolean
  /** Where plain OpenAI-format model names go (default `openai`). */
  defaultProvider?: string
  /** Option path prefix for error messages, e.g. `proxy.providers`. */
  scope?: string
}

export interface ProviderRegistry {
  get: (name: string) => ProviderAdapter | undefined
  list: () => ProviderAdapter[]
  route: (model: string, clientFormat: WireFormat, operation?: Operation) => Route
  /** Remembered include_usage rejections, per base URL (see include-usage.ts). */
  includeUsage: IncludeUsageMemory
}

// The vault owns the naming of provider keys (`provider.<name>`).
export { providerSecretName } from '../../vault/service.js'

function checkBaseUrl (option: string, value: string, production: boolean): void {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    throw new ProviderConfigError(option, 'must be an absolute URL')
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new ProviderConfigError(option, 'must be an http(s) URL')
  if (url.username !== '' || url.password !== '') throw new ProviderConfigError(option, 'must not carry credentials (keys come from the vault)')
  if (url.search !== '' || url.hash !== '') throw new ProviderConfigError(option, 'must not have a query or fragment')
  // Provider keys travel in headers: in production, only loopback may be reached without TLS.
  if (production && url.protocol === 'http:' && !isLoopbackUrl(url)) {
    throw new ProviderConfigError(option, 'must use https in production (http only for loopback hosts)')
  }
}

function build (name: string, config: ProviderConfig): ProviderAdapter {
  switch (name) {
    case 'openai': return openaiProvider(config)
    case 'anthropic': return anthropicProvider(config)
    case 'openrouter': return openrouterProvider(config)
    case 'puter': return puterProvider(config)
    case 'mock': return mockProvider()
    default: return customProvider(name, config as CustomProviderConfig)
  }
}

/** Build the enabled providers from validated options. Throws ProviderConfigError naming the option. */
export function createProviderRegistry (providers: ProvidersOptions, options: RegistryOptions): ProviderRegistry {
  const scope = options.scope ?? 'providers'
  const adapters = new Map<string, ProviderAdapter>()
  for (const [name, config] of Object.entries(providers)) {
    const builtIn = (BUILT_IN_PROVIDERS as readonly string[]).includes(name)
    const allowed = ALLOWED[builtIn ? name : 'custom'] ?? []
    for (const key of Object.keys(config)) {
      if (!allowed.includes(key as keyof ProviderConfig)) {
        throw new ProviderConfigError(`${scope}.${name}.${key}`, `does not apply to ${builtIn ? `the ${name} provider` : 'custom providers'}`)
      }
    }
    if (!builtIn && config.baseUrl === undefined) {
      throw new ProviderConfigError(`${scope}.${name}.baseUrl`, 'is required for a custom OpenAI-compatible provider')
    }
    if (config.baseUrl !== undefined) checkBaseUrl(`${scope}.${name}.baseUrl`, config.baseUrl, options.production)
    const adapter = build(name, config)
    if (options.production && !adapter.productionSafe) {
      throw new ProviderConfigError(`${scope}.${name}`, 'is a development provider and is refused in production')
    }
    adapters.set(name, adapter)
  }
  const defaultProvider = options.defaultProvider ?? 'openai'
  if (options.defaultProvider !== undefined && !adapters.has(defaultProvider)) {
    throw new ProviderConfigError('defaultProvider', `names provider "${defaultProvider}", which is not configured`)
  }
  const table: RoutingTable = {
    get: (name) => adapters.get(name),
    knownNames: new Set([...BUILT_IN_PROVIDERS, ...adapters.keys()]),
    defaults: { openai: defaultProvider, anthropic: 'anthropic' }
  }
  return {
    get: (name) => adapters.get(name),
    list: () => [...adapters.values()],
    route: (model, clientFormat, operation) => routeModel(table, model, clientFormat, operation),
    includeUsage: new IncludeUsageMemory()
  }
}
