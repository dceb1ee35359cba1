import fp from 'fastify-plugin'
import type { FastifyPluginAsync } from 'fastify'
import { resolveOptions } from '../../lib/options.js'
import { registerRoutes } from '../core/register-routes.js'
import { AnalyticsOptions } from './options.js'
import { rollupDeltas } from './rollup.js'
import { analyticsRoutes } from './routes.js'
import { createAnalyticsService } from './service.js'
import { rollupsRepository } from './store/index.js'
import './types.js'
import '../traces/types.js'

export type PulseAnalyticsOptions = Partial<AnalyticsOptions>

const pulseAnalyticsPlugin: FastifyPluginAsync<PulseAnalyticsOptions> = async (app, raw) => {
  const options = resolveOptions(AnalyticsOptions, raw, 'analytics')
  const rollups = await app.pulse.store.repository('rollups', rollupsRepository)
  // Rolled up at ingest, with only the traces that were new: a repeated batch counts once.
  app.pulse.traces.addIngestHook(async (inserted) => { await rollups.apply(rollupDeltas(inserted)) })
  app.pulse.analytics = { ...createAnalyticsService({ rollups, maxRangeDays: options.maxRangeDays }), rollups }
  await registerRoutes(app, analyticsRoutes(app.pulse.analytics))
}

export const pulseAnalytics = fp(pulseAnalyticsPlugin, {
  name: 'pulse-analytics',
  fastify: '5.x',
  dependencies: ['pulse-core', 'pulse-auth', 'pulse-traces']
})
