import { Type, type Static } from '@sinclair/typebox'
import { Envelope } from '../../lib/envelope.js'

// Provider-compatible bodies: the fields the proxy itself reads are checked here; everything
// else belongs to the provider's API and is passed on for the provider to judge.
const Message = Type.Object({ role: Type.String({ minLength: 1 }) }, { additionalProperties: true })

export const ChatCompletionBody = Type.Object({
  model: Type.String({ minLength: 1, maxLength: 256, description: '`<provider>/<model>` routes to that provider; a plain name goes to the default provider' }),
  messages: Type.Array(Message, { minItems: 1 }),
  stream: Type.Optional(Type.Boolean()),
  stream_options: Type.Optional(Type.Object({ include_usage: Type.Optional(Type.Boolean()) }, { additionalProperties: true }))
}, { additionalProperties: true, description: 'An OpenAI chat completion request' })

export const EmbeddingsBody = Type.Object({
  model: Type.String({ minLength: 1, maxLength: 256 }),
  input: Type.Union([Type.String(), Type.Array(Type.Unknown(), { minItems: 1 })])
}, { additionalProperties: true, description: 'An OpenAI embeddings request' })

export const MessagesBody = Type.Object({
  model: Type.String({ minLength: 1, maxLength: 256 }),
  messages: Type.Array(Message, { minItems: 1 }),
  max_tokens: Type.Optional(Type.Integer({ minimum: 1 })),
  stream: Type.Optional(Type.Boolean())
}, { additionalProperties: true, description: 'An Anthropic Messages API request' })

/** The provider's own body, unchanged (or an SSE stream when `stream: true`). */
export const ProviderBody = Type.Object({}, {
  additionalProperties: true,
  description: 'The provider\'s own response body, unchanged (OpenAI or Anthropic format); with `stream: true`, a text/event-stream'
})

export const ModelsQuery = Type.Object({
  provider: Type.Optional(Type.String({ pattern: '^[a-z0-9][a-z0-9_-]{0,31}$', description: 'Only this provider, with its own (unprefixed) ids' }))
}, { additionalProperties: false })

export const ModelList = Type.Object({
  object: Type.Literal('list'),
  data: Type.Array(Type.Object({
    id: Type.String({ description: 'Routable as given: `<provider>/<model>` unless ?provider= was set' }),
    object: Type.Literal('model'),
    created: Type.Integer(),
    owned_by: Type.String()
  }))
}, { description: 'OpenAI list-models format' })

export const PassthroughParams = Type.Object({
  origin: Type.String({ pattern: '^[a-z0-9][a-z0-9_-]{0,31}$' }),
  '*': Type.String()
})

export const UnpricedQuery = Type.Object({
  limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 })
}, { additionalProperties: false })
export type UnpricedQuery = Static<typeof UnpricedQuery>

export const UnpricedList = Type.Object({
  models: Type.Array(Type.Object({
    provider: Type.String(),
    model: Type.String(),
    count: Type.Integer({ description: 'Calls that used it without a price' }),
    firstSeen: Type.String({ format: 'date-time' }),
    lastSeen: Type.String({ format: 'date-time' })
  }), { description: 'Most recently seen first' })
})
export const UnpricedResponse = Envelope(UnpricedList)

const Count = Type.Record(Type.String(), Type.Integer())
export const MetricsResponse = Envelope(Type.Object({
  requests: Type.Integer(),
  streams: Type.Integer(),
  openStreams: Type.Integer(),
  byProvider: Count,
  byStatus: Count,
  failureCauses: Count,
  overhead: Type.Object({
    count: Type.Integer(),
    meanMs: Type.Union([Type.Number(), Type.Null()]),
    p50Ms: Type.Union([Type.Number(), Type.Null()]),
    p90Ms: Type.Union([Type.Number(), Type.Null()]),
    p99Ms: Type.Union([Type.Number(), Type.Null()]),
    maxMs: Type.Union([Type.Number(), Type.Null()]),
    buckets: Count
  }, { description: 'Milliseconds pulse-proxy added per call (total minus upstream time)' })
}))
