import { Agent, request } from 'undici'
import type { Trace } from '../plugins/traces/schemas.js'

/** What one POST of a batch came to; never an exception. */
export type SendOutcome =
  | { kind: 'ok' }
  /** Worth retrying: network error, timeout, 408, 429, 5xx. */
  | { kind: 'retry', status?: number, retryAfterMs?: number, message: string }
  /** 413: the batch is too large as a whole. */
  | { kind: 'too_large', status: number, message: string }
  /** 400 naming one bad item: the others can be sent without it. */
  | { kind: 'invalid_item', status: number, index: number, message: string }
  /** Any other answer: sending it again would get the same one. */
  | { kind: 'rejected', status: number, message: string }

export interface Transport {
  send(traces: readonly Trace[]): Promise<SendOutcome>
  close(): Promise<void>
}

export interface TransportOptions {
  url: URL
  apiKey: string
  timeout: number
  connections: number
}

interface ErrorBody { error?: { message?: unknown, details?: unknown } }

function parseRetryAfter (value: string | string[] | undefined): number | undefined {
  const v = Array.isArray(value) ? value[0] : value
  if (v === undefined) return undefined
  const seconds = Number(v)
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000
  const date = Date.parse(v)
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now())
}

function errorMessage (status: number, text: string): { message: string, index?: number } {
  try {
    const body = JSON.parse(text) as ErrorBody
    const message = typeof body.error?.message === 'string' ? body.error.message : `HTTP ${status}`
    const first = Array.isArray(body.error?.details) ? (body.error.details[0] as { index?: unknown } | undefined) : undefined
    return { message, ...(typeof first?.index === 'number' ? { index: first.index } : {}) }
  } catch {
    return { message: `HTTP ${status}` }
  }
}

/** POSTs batches to the ingest route with undici, over one keep-alive pool owned by the SDK instance. */
export function createTransport (opts: TransportOptions): Transport {
  const agent = new Agent({ connections: opts.connections, keepAliveTimeout: 4000 })
  const headers = {
    'content-type': 'application/json',
    authorization: `Bearer ${opts.apiKey}`,
    'user-agent': 'pulse-proxy-sdk'
  }
  return {
    async send (traces) {
      try {
        const res = await request(opts.url, {
          method: 'POST',
          headers,
          body: JSON.stringify(traces),
          dispatcher: agent,
          headersTimeout: opts.timeout,
          bodyTimeout: opts.timeout
        })
        const text = await res.body.text()
        const status = res.statusCode
        if (status >= 200 && status < 300) return { kind: 'ok' }
        const { message, index } = errorMessage(status, text)
        if (status === 408 || status === 429 || status >= 500) {
          const retryAfterMs = parseRetryAfter(res.headers['retry-after'])
          return { kind: 'retry', status, message, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) }
        }
        if (status === 413) return { kind: 'too_large', status, message }
        if (status === 400 && index !== undefined && index >= 0 && index < traces.length) return { kind: 'invalid_item', status, index, message }
        return { kind: 'rejected', status, message }
      } catch (err) {
        // The key is in a header, never in the error; the message is undici's (ECONNREFUSED, timeout…).
        const e = err as { code?: unknown, message?: unknown }
        const message = [typeof e.code === 'string' ? e.code : undefined, typeof e.message === 'string' ? e.message : undefined].filter(Boolean).join(': ')
        return { kind: 'retry', message: message || 'network error' }
      }
    },
    async close () {
      await agent.close()
    }
  }
}
