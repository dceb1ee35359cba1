import { isDeepStrictEqual } from 'node:util'
import t from 'tap'
import { SseParser, type SseItem } from '../../../plugins/proxy/stream/sse-parser.js'

const enc = new TextEncoder()

function parseInPieces (bytes: Uint8Array, cuts: number[]): { items: SseItem[], partial: boolean } {
  const p = new SseParser()
  const items: SseItem[] = []
  let last = 0
  for (const cut of [...cuts, bytes.length]) {
    items.push(...p.push(bytes.subarray(last, cut)))
    last = cut
  }
  const end = p.end()
  return { items: [...items, ...end.items], partial: end.partial }
}

const STREAM = 'event: message_start\r\ndata: {"text":"café ☕ 🇫🇷"}\r\n\r\n' +
  ': heartbeat\r\n\r\n' +
  'data: line one\ndata: line two\n\n' +
  'id: 7\nevent: x\ndata:no-space\r\r' +
  'data: [DONE]\n\n'

const EXPECTED: SseItem[] = [
  { type: 'event', event: 'message_start', data: '{"text":"café ☕ 🇫🇷"}' },
  { type: 'comment', text: 'heartbeat' },
  { type: 'event', data: 'line one\nline two' },
  { type: 'event', event: 'x', data: 'no-space', id: '7' },
  { type: 'event', data: '[DONE]' }
]

t.test('one chunk: events, comments, multi-line data, CR / LF / CRLF line ends', async (t) => {
  t.same(parseInPieces(enc.encode(STREAM), []), { items: EXPECTED, partial: false })
})

t.test('split at every byte position (mid-line, between CR and LF, inside UTF-8 characters)', async (t) => {
  const bytes = enc.encode(STREAM)
  for (let i = 1; i < bytes.length; i++) {
    const got = parseInPieces(bytes, [i])
    if (!isDeepStrictEqual(got.items, EXPECTED) || got.partial) {
      t.fail(`split at byte ${i} changed the events`)
      return
    }
  }
  t.pass('every single split point yields the same events')
})

t.test('one byte at a time', async (t) => {
  const bytes = enc.encode(STREAM)
  t.same(parseInPieces(bytes, Array.from({ length: bytes.length - 1 }, (_, i) => i + 1)).items, EXPECTED)
})

t.test('a leading BOM is ignored', async (t) => {
  const p = new SseParser()
  t.same(p.push('\ufeffdata: a\n\n'), [{ type: 'event', data: 'a' }])
})

t.test('an event without a blank line at EOF is reported as partial and not dispatched', async (t) => {
  const got = parseInPieces(enc.encode('data: a\n\ndata: {"cut'), [])
  t.same(got.items, [{ type: 'event', data: 'a' }])
  t.equal(got.partial, true)
  const fields = parseInPieces(enc.encode('data: a\n\ndata: b\n'), [])
  t.equal(fields.partial, true, 'a complete line but no dispatch is partial too')
  const clean = parseInPieces(enc.encode('data: a\n\n'), [])
  t.equal(clean.partial, false)
})

t.test('an event with no data field is not dispatched', async (t) => {
  const p = new SseParser()
  t.same(p.push('event: ping\n\n'), [])
})
