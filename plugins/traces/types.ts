import type { TracesService } from './service.js'

declare module '../core/types.js' {
  interface PulseNamespace {
    /**
     * Trace storage: `record(trace)` for the proxy (batched, bounded, never blocks),
     * `stats()` for its queue, `ingest()` and the queries the routes use.
     */
    traces: TracesService
  }
}
