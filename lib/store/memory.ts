import { RepositoryRegistry } from './registry.js'
import type { PulseStore } from './types.js'

/** The embedded default: zero set-up, data lives in this process only. */
export function memoryStore (): PulseStore {
  const registry = new RepositoryRegistry()
  return {
    kind: 'memory',
    async open (opts) { registry.setLogger(opts?.log) },
    repository (name, factories) {
      return registry.get(name, () => factories.memory(registry.context))
    },
    async ping () {},
    async close () { await registry.closeAll() }
  }
}
