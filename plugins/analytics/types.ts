import type { AnalyticsService } from './service.js'
import type { RollupsRepository } from './store/store.js'

declare module '../core/types.js' {
  interface PulseNamespace {
    analytics: AnalyticsService & { rollups: RollupsRepository }
  }
}
