/** Streaming: SSE parsing, per-provider state machines, typed error events. Framework-free. */
export * from './pipeline.js'
export * from './faults.js'
export * from './sse-parser.js'
export * from './sse-encode.js'
