import type { FastifyInstance } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { ok } from '../../lib/envelope.js'
import { InvalidRangeError } from './errors.js'
import { AnalyticsQuery, AnalyticsResponse } from './schemas.js'
import { RangeProblem, type AnalyticsService } from './service.js'

export function analyticsRoutes (service: AnalyticsService) {
  return async function routes (parent: FastifyInstance) {
    const scope = parent.withTypeProvider<TypeBoxTypeProvider>()

    scope.get('/analytics', {
      schema: {
        tags: ['analytics'],
        summary: 'Cost, tokens, latency and errors over a date range, from hourly rollups',
        security: [{ bearer: [] }],
        querystring: AnalyticsQuery,
        response: { 200: AnalyticsResponse }
      }
    }, async (request) => {
      try {
        return ok(await service.query(request.pulse!.projectId, request.query))
      } catch (err) {
        if (err instanceof RangeProblem) throw new InvalidRangeError(err.message)
        throw err
      }
    })
  }
}
