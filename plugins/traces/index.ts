import fp from 'fastify-plugin'
import type { FastifyPluginAsync } from 'fastify'
import { createPricing } from '../../lib/pricing.js'
import { resolveOptions } from '../../lib/options.js'
import { registerRoutes } from '../core/register-routes.js'
import { TracesOptions } from './options.js'
import { tracesRoutes } from './routes.js'
import { createTracesService } from './service.js'
import { tracesRepository } from './store/index.js'
import './types.js'

export type PulseTracesOptions = Partial<Omit<TracesOptions, 'queue'>> & { queue?: Partial<TracesOptions['queue']> }

const pulseTracesPlugin: FastifyPluginAsync<PulseTracesOptions> = async (app, raw) => {
  const options = resolveOptions(TracesOptions, raw, 'traces')
  const repo = await app.pulse.store.repository('traces', tracesRepository(options.memoryMaxTraces))
  const service = createTracesService({ repo, options, pricing: createPricing(options.pricing), log: app.log })
  app.pulse.traces = service
  await service.start()
  // onClose, not preClose: in-flight requests (the proxy's among them) may still record traces
  // until the server has stopped; the store itself closes after us (registered before us).
  app.addHook('onClose', async () => { await service.close() })
  await registerRoutes(app, tracesRoutes(service, options))
}

export const pulseTraces = fp(pulseTracesPlugin, { name: 'pulse-traces', fastify: '5.x', dependencies: ['pulse-core', 'pulse-auth'] })
