import { Type, type Static } from '@sinclair/typebox'

export const AnalyticsOptions = Type.Object({
  maxRangeDays: Type.Integer({ minimum: 1, maximum: 3660, default: 366, description: 'Longest date_from…date_to range GET /analytics answers (400 above it)' })
}, { additionalProperties: false })

export type AnalyticsOptions = Static<typeof AnalyticsOptions>
