import Anthropic from '@anthropic-ai/sdk'
import OpenAI from 'openai'
import type { Test } from 'tap'
import { createPulse, type Pulse, type PulseOptions } from '../../../sdk/index.js'
import { startPulseServer, type PulseServer } from './pulse-server.js'
import { startMockUpstream, type MockUpstream } from './upstreams.js'

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

export interface Rig {
  upstream: MockUpstream
  server: PulseServer
  pulse: Pulse
  /** Clients pointed at the mock upstream; `plain*` are never observed (the reference). */
  openai(): OpenAI
  openrouter(): OpenAI
  anthropic(): Anthropic
}

/** A mock upstream, a real pulse server, and an SDK instance sending to it (shut down at the end). */
export async function rig (t: Test, opts: Partial<PulseOptions> = {}): Promise<Rig> {
  const upstream = await startMockUpstream(t)
  const server = await startPulseServer(t)
  // A long interval: tests flush explicitly, so what they see never depends on a timer.
  const pulse = createPulse({ apiKey: server.apiKey, apiUrl: server.url, flushInterval: 600_000, ...opts })
  t.teardown(() => pulse.shutdown())
  return {
    upstream,
    server,
    pulse,
    openai: () => new OpenAI({ apiKey: 'sk-test-openai', baseURL: `${upstream.origin}/v1`, maxRetries: 0 }),
    openrouter: () => new OpenAI({ apiKey: 'sk-or-test', baseURL: `${upstream.origin}/openrouter/api/v1`, maxRetries: 0 }),
    anthropic: () => new Anthropic({ apiKey: 'sk-ant-test', baseURL: upstream.origin, maxRetries: 0 })
  }
}

/** `x-mock` directives for one request (see upstreams.ts). */
export const mock = (directives: string) => ({ headers: { 'x-mock': directives } })

/** Run `fn` and return what it threw (or fail the test). */
export async function thrown (t: Test, fn: () => Promise<unknown>): Promise<Error & Record<string, unknown>> {
  try {
    await fn()
  } catch (err) {
    return err as Error & Record<string, unknown>
  }
  t.fail('expected a throw')
  throw new Error('expected a throw')
}

/** Read a stream to its end; returns how many items it gave. */
export async function drain (stream: AsyncIterable<unknown>): Promise<number> {
  let n = 0
  for await (const item of stream) if (item !== undefined) n++
  return n
}
