import { arr, isObject, obj } from '../providers/json.js'

/**
 * The shape OpenAI-format content deltas repeat, learned from one of them: the bytes before and
 * after the `delta.content` string. A stream's content deltas differ only in that string, so a
 * later event made of the same two runs of bytes around one JSON string is known without
 * building its object tree with JSON.parse (one per streamed event, the largest part of a
 * proxied stream's own CPU).
 *
 * Why that is exact: the template is kept only after `JSON.parse(before + "\"<probe>\"" + after)`
 * put the probe at `choices[0].delta.content`, so in those bytes the slot is the content's value
 * token. JSON strings are tokens: any valid string literal in the slot yields valid JSON whose
 * value differs only in that content. Anything else in the slot (`"a"},"x":"b`, a number, a
 * broken literal) fails to read as one string and the event takes the full path.
 */
export class DeltaTemplate {
  private readonly before: Buffer
  private readonly after: Buffer

  private constructor (before: Buffer, after: Buffer) {
    this.before = before
    this.after = after
  }

  /**
   * The template of `data`, already read as `chunk`, when it is a plain content delta: one choice
   * whose delta holds only a `content` string, no `finish_reason`, `tool_calls`, `usage` or
   * `error`. Costs one extra JSON.parse: done once per stream, not per event.
   */
  static learn (data: string, chunk: unknown): DeltaTemplate | undefined {
    if (!isObject(chunk) || chunk.error !== undefined || (chunk.usage !== undefined && chunk.usage !== null)) return undefined
    const choices = arr(chunk.choices)
    if (choices?.length !== 1) return undefined
    const choice = obj(choices[0])
    const delta = obj(choice?.delta)
    if (choice === undefined || delta === undefined || (choice.finish_reason !== undefined && choice.finish_reason !== null)) return undefined
    if (typeof delta.content !== 'string' || !onlyKey(delta, 'content')) return undefined
    const slot = contentSlot(data)
    if (slot === undefined) return undefined
    const before = data.slice(0, slot.start)
    const after = data.slice(slot.end)
    const PROBE = '\u0000pulse-probe'
    let probed: unknown
    try {
      probed = JSON.parse(`${before}${JSON.stringify(PROBE)}${after}`)
    } catch {
      return undefined
    }
    const probedDelta = obj(obj(arr(obj(probed)?.choices)?.[0])?.delta)
    if (probedDelta?.content !== PROBE) return undefined
    return new DeltaTemplate(Buffer.from(before), Buffer.from(after))
  }

  /** The content of the event `buf[start..end)` when it is this template around one JSON string. */
  match (buf: Buffer, start: number, end: number): string | undefined {
    const b = this.before.length
    const a = this.after.length
    // The slot holds at least `""`.
    if (end - start < b + a + 2) return undefined
    if (buf.compare(this.before, 0, b, start, start + b) !== 0) return undefined
    if (buf.compare(this.after, 0, a, end - a, end) !== 0) return undefined
    const s = start + b
    const e = end - a
    // Most deltas are a plain literal: quotes around bytes with no quote, backslash or control
    // character. Those bytes are the text itself (decoded as JSON.parse would decode them); any
    // other literal, or anything that is not one, is left to JSON.parse.
    if (buf[s] === QUOTE && buf[e - 1] === QUOTE && plain(buf, s + 1, e - 1)) return buf.toString('utf8', s + 1, e - 1)
    let value: unknown
    try {
      value = JSON.parse(buf.toString('utf8', s, e))
    } catch {
      return undefined
    }
    return typeof value === 'string' ? value : undefined
  }
}

const QUOTE = 0x22
const BACKSLASH = 0x5c

/** `o`'s one own enumerable key is `key` (no key array made: this runs on a stream's first events). */
function onlyKey (o: object, key: string): boolean {
  let n = 0
  for (const k in o) {
    if (!Object.hasOwn(o, k)) continue
    if (k !== key || ++n > 1) return false
  }
  return n === 1
}

/** `buf[start..end)` holds no byte that a JSON string must escape or that starts an escape. */
function plain (buf: Buffer, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const c = buf[i] as number
    if (c < 0x20 || c === QUOTE || c === BACKSLASH) return false
  }
  return true
}

/** Where the string value of the first `"content"` key starts and ends in `data` (quotes included). */
function contentSlot (data: string): { start: number, end: number } | undefined {
  // The first `"content"` followed by a colon; learn()'s probe checks it is the key JSON.parse reads.
  for (let key = data.indexOf('"content"'); key !== -1; key = data.indexOf('"content"', key + 1)) {
    let i = skipSpace(data, key + '"content"'.length)
    if (data[i] !== ':') continue
    i = skipSpace(data, i + 1)
    if (data[i] !== '"') return undefined
    const start = i
    for (i = start + 1; i < data.length; i++) {
      const c = data[i]
      if (c === '\\') i++
      else if (c === '"') return { start, end: i + 1 }
    }
    return undefined
  }
  return undefined
}

function skipSpace (data: string, i: number): number {
  while (data[i] === ' ' || data[i] === '\t' || data[i] === '\n' || data[i] === '\r') i++
  return i
}
