import { request } from 'undici'
import type { IncludeUsageMemory } from '../../plugins/proxy/providers/include-usage.js'
import type { UpstreamFailure } from '../../plugins/proxy/providers/errors.js'
import type { JsonObject } from '../../plugins/proxy/providers/json.js'
import type { Operation, ProviderAdapter, ProviderResult, UpstreamRequest, WireFormat } from '../../plugins/proxy/providers/types.js'
import { networkFault, stalledFault } from '../../plugins/proxy/stream/faults.js'
import type { StreamSummary } from '../../plugins/proxy/stream/pipeline.js'

/**
 * A test-only stand-in for the proxy route: adapter.transformRequest → undici (or the in-process
 * transport) → adapter.transformResponse / stream pipeline → a collector of client writes.
 * It follows the contract the real route must follow, so tests here exercise exactly that.
 */
export interface RelayInput {
  adapter: ProviderAdapter
  operation: Operation
  clientFormat: WireFormat
  body: JsonObject
  model: string
  key?: string
  requestId?: string
  memory?: IncludeUsageMemory
  /** Resolves when the proxy's idle timer would fire: the relay then ends the stream as stalled. */
  idle?: Promise<void>
  /** Resolves when the client disconnects: the relay aborts the upstream. */
  clientGone?: Promise<void>
  now?: number
}

export interface RelayOutput {
  status: number
  /** Each write the client would get, in order. */
  writes: string[]
  text: string
  upstreamRequests: UpstreamRequest[]
  result?: ProviderResult
  failure?: UpstreamFailure
  summary?: StreamSummary
  /** The upstream call was aborted by the relay (fault, stall or client gone). */
  aborted: boolean
}

interface RawResponse { statusCode: number, headers: Record<string, string | string[] | undefined>, body: AsyncIterable<Uint8Array> }

async function send (adapter: ProviderAdapter, req: UpstreamRequest, signal: AbortSignal): Promise<RawResponse> {
  if (adapter.transport !== undefined) return await adapter.transport.handle(req, signal)
  const res = await request(req.url, { method: req.method, headers: req.headers, body: req.body ?? null, signal })
  return { statusCode: res.statusCode, headers: res.headers, body: res.body }
}

async function readText (body: AsyncIterable<Uint8Array>): Promise<string> {
  const decoder = new TextDecoder()
  let text = ''
  for await (const chunk of body) text += decoder.decode(chunk, { stream: true })
  return text + decoder.decode()
}

export async function relay (input: RelayInput): Promise<RelayOutput> {
  const { adapter } = input
  const now = input.now ?? 1_741_570_283_000
  const controller = new AbortController()
  const out: RelayOutput = { status: 0, writes: [], text: '', upstreamRequests: [], aborted: false }
  const write = (chunk: string | Buffer): void => {
    // A pipeline's Buffer output holds whole events: decoding it alone never splits a character.
    const s = typeof chunk === 'string' ? chunk : chunk.toString('utf8')
    if (s === '') return
    out.writes.push(s)
    out.text += s
  }
  const inject = input.memory?.shouldInject(adapter.includeUsage, adapter.baseUrl) ?? adapter.includeUsage !== 'never'
  const call = async (injectIncludeUsage: boolean): Promise<{ req: UpstreamRequest, res: RawResponse }> => {
    const ctx = { model: input.model, key: input.key, requestId: input.requestId, injectIncludeUsage, now }
    const req = adapter.transformRequest(input.operation, input.clientFormat, input.body, ctx)
    out.upstreamRequests.push(req)
    return { req, res: await send(adapter, req, controller.signal) }
  }

  let { req, res } = await call(inject)
  if (res.statusCode >= 400) {
    const text = await readText(res.body)
    if (input.memory?.shouldRetryWithout(res.statusCode, req.injectedIncludeUsage, adapter.includeUsage) === true) {
      ;({ req, res } = await call(false))
      if (res.statusCode < 400) input.memory.rememberRejected(adapter.baseUrl)
    } else {
      out.status = res.statusCode
      out.failure = adapter.mapError(res.statusCode, res.headers, text, now)
      return out
    }
    if (res.statusCode >= 400) {
      out.status = res.statusCode
      out.failure = adapter.mapError(res.statusCode, res.headers, await readText(res.body), now)
      return out
    }
  }
  out.status = res.statusCode
  const ctx = { model: input.model, injectIncludeUsage: req.injectedIncludeUsage, now }
  if (!req.stream) {
    out.result = adapter.transformResponse(input.operation, input.clientFormat, JSON.parse(await readText(res.body)) as unknown, ctx)
    return out
  }

  const pipeline = adapter.createStream(input.clientFormat, req, { requestId: input.requestId, now })
  let finished = false
  const stop = (fault: Parameters<typeof pipeline.fail>[0] | undefined): void => {
    if (finished) return
    finished = true
    if (fault !== undefined) write(pipeline.fail(fault))
    out.aborted = true
    controller.abort()
  }
  input.idle?.then(() => stop(stalledFault(adapter.name, 30_000)), () => {})
  input.clientGone?.then(() => stop({ cause: 'client_abort', code: 'PULSE_CLIENT_ABORT', message: 'client disconnected', retryable: false }), () => {})
  try {
    for await (const chunk of res.body) {
      if (finished) break
      const step = pipeline.push(chunk)
      write(step.out)
      if (step.done) {
        finished = true
        if (step.fault !== undefined) {
          out.aborted = true
          controller.abort()
        }
        break
      }
    }
    if (!finished) {
      finished = true
      write(pipeline.end().out)
    }
  } catch (err) {
    if (!finished) {
      finished = true
      write(pipeline.fail(networkFault(adapter.name, err instanceof Error ? err.message : 'socket error')))
    }
  }
  out.summary = pipeline.summary()
  return out
}
