import type { ProviderRegistry } from './providers/registry.js'
import type { ProxyService } from './service.js'

/** `app.pulse.proxy`: the provider proxy's service and its provider registry. */
export interface PulseProxyService extends ProxyService {
  registry: ProviderRegistry
}

declare module '../core/types.js' {
  interface PulseNamespace {
    proxy: PulseProxyService
  }
}
