import { Type, type Static } from '@sinclair/typebox'
import { DEFAULT_MEMORY_MAX_TRACES } from './store/memory.js'

export const ModelPriceOption = Type.Object({
  inputCentsPer1M: Type.Number({ minimum: 0 }),
  outputCentsPer1M: Type.Number({ minimum: 0 }),
  cacheReadCentsPer1M: Type.Optional(Type.Number({ minimum: 0 })),
  cacheWriteCentsPer1M: Type.Optional(Type.Number({ minimum: 0 }))
}, { additionalProperties: false })

export const TracesOptions = Type.Object({
  captureBodies: Type.Boolean({ default: true, description: 'Store request/response bodies and output_text (redacted, capped). false: store none of them' }),
  maxBodyBytes: Type.Integer({ minimum: 1024, default: 65_536, description: 'Cap per stored body (JSON bytes) and per output_text; larger ones are replaced by a truncation marker' }),
  batchBodyLimit: Type.Integer({ minimum: 1024, default: 5_242_880, description: 'Largest POST /traces/batch body in bytes (413 above it)' }),
  traceRetentionDays: Type.Optional(Type.Integer({ minimum: 1, description: 'Delete traces older than this many days (by timestamp). Default: keep forever' })),
  sweepIntervalMs: Type.Integer({ minimum: 1000, default: 3_600_000, description: 'How often expired traces are swept where no TTL index does it' }),
  memoryMaxTraces: Type.Integer({
    minimum: 1,
    default: DEFAULT_MEMORY_MAX_TRACES,
    description: 'Memory store only: traces kept per project; storing one more drops the oldest stored (analytics still count it). MongoDB keeps every trace'
  }),
  sessionLimit: Type.Integer({ minimum: 1, maximum: 10_000, default: 1000, description: 'Most traces GET /sessions/:id returns (the oldest ones)' }),
  queue: Type.Object({
    batchSize: Type.Integer({ minimum: 1, maximum: 10_000, default: 100, description: 'record(): write as soon as this many traces wait' }),
    flushIntervalMs: Type.Integer({ minimum: 1, default: 1000, description: 'record(): write waiting traces at least this often' }),
    maxSize: Type.Integer({ minimum: 1, default: 10_000, description: 'record(): traces waiting or being written at most; beyond it record() refuses' })
  }, { additionalProperties: false, default: {} }),
  pricing: Type.Record(Type.String({ minLength: 1 }), ModelPriceOption, {
    default: {},
    description: 'Extra or overriding prices (cents per 1M tokens) by model id, used for traces that arrive without cost_cents'
  })
}, { additionalProperties: false })

export type TracesOptions = Static<typeof TracesOptions>
