import { Type, type Static } from '@sinclair/typebox'
import { ModelPriceOption } from '../traces/options.js'
import { DefaultProviderOption, ProvidersOptions } from './providers/options.js'

export const PassthroughOrigin = Type.Object({
  url: Type.String({
    minLength: 1,
    description: 'Origin (and optional base path) requests are sent to, e.g. https://api.example.com/v2. https is required unless the host is loopback.'
  }),
  secret: Type.Optional(Type.String({
    pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$',
    description: 'Name of a project vault secret sent upstream as `Authorization: Bearer <value>`. The caller\'s own credentials are never forwarded.'
  })),
  timeoutMs: Type.Optional(Type.Integer({ minimum: 1, description: 'Headers timeout for this origin (default: timeouts.headersMs)' }))
}, { additionalProperties: false })
export type PassthroughOrigin = Static<typeof PassthroughOrigin>

export const ProxyTimeouts = Type.Object({
  connectMs: Type.Integer({ minimum: 1, default: 10_000, description: 'Opening a TCP/TLS connection to an upstream' }),
  headersMs: Type.Integer({ minimum: 1, default: 300_000, description: 'From sending the request to the upstream\'s response headers (non-streamed answers arrive after the model finished)' }),
  idleMs: Type.Integer({ minimum: 1, default: 60_000, description: 'Longest silence between two body chunks (a stalled stream ends with a typed error event)' })
}, { additionalProperties: false, default: {} })

export const ProxyOptions = Type.Object({
  providers: ProvidersOptions,
  defaultProvider: Type.Optional(DefaultProviderOption),
  timeouts: ProxyTimeouts,
  keepAlive: Type.Object({
    connections: Type.Optional(Type.Integer({ minimum: 1, description: 'Most sockets per upstream origin (default: no limit — each open stream holds one)' })),
    timeoutMs: Type.Integer({ minimum: 1, default: 30_000, description: 'How long an idle upstream socket is kept' })
  }, { additionalProperties: false, default: {} }),
  providerKeyCacheMs: Type.Integer({
    minimum: 0,
    default: 5000,
    description: 'How long a project\'s provider key read from the vault is reused without a store read + decrypt. Also the longest a changed key takes to be used. 0: read every call'
  }),
  passthrough: Type.Record(Type.String({ pattern: '^[a-z0-9][a-z0-9_-]{0,31}$' }), PassthroughOrigin, {
    default: {},
    description: 'Named origins reachable through /passthrough/:origin/*; nothing else is'
  }),
  pricing: Type.Record(Type.String({ minLength: 1 }), ModelPriceOption, {
    default: {},
    description: 'Extra or overriding prices (cents per 1M tokens) by model id'
  }),
  overheadHeader: Type.Union([Type.String({ pattern: '^[a-z0-9-]{1,64}$' }), Type.Literal(false)], {
    default: 'x-pulse-overhead-ms',
    description: 'Response header carrying the milliseconds pulse-proxy added (false: none)'
  }),
  maxUnpricedModels: Type.Integer({ minimum: 1, default: 1000, description: 'Most distinct unpriced models remembered per project' })
}, { additionalProperties: false })

export type ProxyOptions = Static<typeof ProxyOptions>
