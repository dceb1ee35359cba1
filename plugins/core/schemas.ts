import { Type, type Static } from '@sinclair/typebox'
import { Envelope } from '../../lib/envelope.js'

export const Health = Type.Object({
  status: Type.Literal('ok'),
  service: Type.Literal('pulse'),
  store: Type.Union([Type.Literal('memory'), Type.Literal('mongo')])
})
export type Health = Static<typeof Health>

export const HealthResponse = Envelope(Health)
