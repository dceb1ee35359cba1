import { Type, type Static } from '@sinclair/typebox'
import { Envelope } from '../../lib/envelope.js'

export const GROUP_BY = ['hour', 'day', 'model', 'provider'] as const
export type GroupBy = typeof GROUP_BY[number]

export const AnalyticsQuery = Type.Object({
  date_from: Type.String({ minLength: 1, maxLength: 64, description: 'ISO 8601 date or date-time, inclusive; floored to its UTC hour' }),
  date_to: Type.String({ minLength: 1, maxLength: 64, description: 'ISO 8601 date or date-time, exclusive; rounded up to a UTC hour' }),
  group_by: Type.Unsafe<GroupBy>({ type: 'string', enum: [...GROUP_BY], default: 'day', description: 'How costOverTime is bucketed' })
}, { additionalProperties: false })
export type AnalyticsQuery = Static<typeof AnalyticsQuery>

const Ms = Type.Union([Type.Number(), Type.Null()], { description: 'Milliseconds; null when there were no requests' })

export const CostBucket = Type.Object({
  bucket: Type.String({ description: 'Hour or day start (ISO, UTC), model, or provider' }),
  requests: Type.Integer(),
  errors: Type.Integer(),
  inputTokens: Type.Integer(),
  outputTokens: Type.Integer(),
  costCents: Type.Number(),
  avgLatency: Ms
})
export type CostBucket = Static<typeof CostBucket>

export const Analytics = Type.Object({
  totalCost: Type.Number({ description: 'US cents' }),
  totalTokens: Type.Integer({ description: 'Input plus output tokens' }),
  avgLatency: Ms,
  latency: Type.Object({ p50: Ms, p95: Ms, p99: Ms }, { description: 'Nearest-rank percentiles, within 1% relative error for latencies ≥ 1 ms' }),
  errorRate: Type.Number({ description: 'Percentage (0–100) of requests whose status is error' }),
  costOverTime: Type.Array(CostBucket)
})
export type Analytics = Static<typeof Analytics>

export const AnalyticsResponse = Envelope(Analytics)
