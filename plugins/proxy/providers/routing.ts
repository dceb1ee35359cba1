import type { Operation, ProviderAdapter, WireFormat } from './types.js'

export type RouteFailure = 'missing_model' | 'provider_not_configured' | 'no_default_provider' | 'unsupported_operation'

export type Route =
  | { ok: true, provider: ProviderAdapter, model: string, requested: string }
  | { ok: false, reason: RouteFailure, message: string, provider?: string }

export interface RoutingTable {
  get: (name: string) => ProviderAdapter | undefined
  /** Names that are providers even when not configured, so `anthropic/x` never silently goes elsewhere. */
  knownNames: ReadonlySet<string>
  /** Default provider per client format: plain model names go here. */
  defaults: Record<WireFormat, string | undefined>
}

/**
 * `model` → provider and upstream model.
 *  - `<name>/<model>` with a configured `<name>` → that provider, prefix stripped
 *    (`openrouter/openai/gpt-4o` → openrouter, `openai/gpt-4o`);
 *  - `<name>/…` with a built-in `<name>` that is not configured → an error, never a silent re-route;
 *  - `<name>` alone → that provider's default model, when it has one;
 *  - anything else → the default provider for the client's format, model unchanged.
 */
export function routeModel (table: RoutingTable, requested: string, clientFormat: WireFormat, operation?: Operation): Route {
  const model = requested.trim()
  if (model === '') return { ok: false, reason: 'missing_model', message: 'model is required' }
  const slash = model.indexOf('/')
  const prefix = slash === -1 ? model : model.slice(0, slash)
  const rest = slash === -1 ? '' : model.slice(slash + 1)
  let provider = table.get(prefix)
  let upstreamModel = rest
  if (provider !== undefined) {
    if (upstreamModel === '') {
      if (provider.defaultModel === undefined) {
        if (slash === -1) provider = undefined
        else return { ok: false, reason: 'missing_model', message: `model "${model}" names provider ${prefix} but no model`, provider: prefix }
      } else {
        upstreamModel = provider.defaultModel
      }
    }
  } else if (slash !== -1 && table.knownNames.has(prefix)) {
    return { ok: false, reason: 'provider_not_configured', message: `provider ${prefix} is not configured`, provider: prefix }
  }
  if (provider === undefined) {
    const name = table.defaults[clientFormat]
    provider = name === undefined ? undefined : table.get(name)
    if (provider === undefined) {
      return { ok: false, reason: 'no_default_provider', message: `model "${model}" names no configured provider and there is no default provider for ${clientFormat}-format requests` }
    }
    upstreamModel = model
  }
  if (operation !== undefined && !provider.supports(operation, clientFormat)) {
    return { ok: false, reason: 'unsupported_operation', message: `provider ${provider.name} does not serve ${clientFormat}-format ${operation} requests`, provider: provider.name }
  }
  return { ok: true, provider, model: upstreamModel, requested }
}
