import { readFileSync } from 'node:fs'
import type { StreamPipeline, StreamStep } from '../../plugins/proxy/stream/pipeline.js'

const DIR = new URL('../fixtures/providers/', import.meta.url)

/** A recorded provider fixture (test/fixtures/providers/<provider>/<name>) as text. */
export function fixtureText (name: string): string {
  return readFileSync(new URL(name, DIR), 'utf8')
}

export function fixtureJson (name: string): unknown {
  return JSON.parse(fixtureText(name)) as unknown
}

export interface Fed {
  text: string
  steps: StreamStep[]
  /** The step that ended the stream, if any (from push or end). */
  last: StreamStep
}

/** Feed bytes to a pipeline in pieces of `size` bytes (whole when omitted), then signal the end. */
export function feed (pipeline: StreamPipeline, text: string, size?: number): Fed {
  const bytes = new TextEncoder().encode(text)
  const step = size ?? bytes.length
  const steps: StreamStep[] = []
  let out = ''
  for (let i = 0; i < bytes.length; i += step) {
    const s = pipeline.push(bytes.subarray(i, i + step))
    steps.push(s)
    out += s.out
    if (s.done) return { text: out, steps, last: s }
  }
  const end = pipeline.end()
  steps.push(end)
  return { text: out + end.out, steps, last: end }
}

/** `data:` payloads (and event names) of client SSE text. */
export function events (text: string): Array<{ event?: string, data: string }> {
  return text.split('\n\n').filter((b) => b.trim() !== '' && !b.startsWith(':')).map((b) => {
    const lines = b.split('\n')
    const event = lines.find((l) => l.startsWith('event: '))?.slice(7)
    const data = lines.filter((l) => l.startsWith('data: ')).map((l) => l.slice(6)).join('\n')
    return event === undefined ? { data } : { event, data }
  })
}
