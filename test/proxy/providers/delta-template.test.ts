import t from 'tap'
import { DeltaTemplate } from '../../../plugins/proxy/stream/delta-template.js'
import { OpenAIStreamMachine } from '../../../plugins/proxy/stream/openai-machine.js'
import { SsePipeline, type StreamMachine, type StreamStep } from '../../../plugins/proxy/stream/pipeline.js'
import { rng } from '../../helpers/rng.js'

// A stream's repeated content deltas are read from their bytes around a learned template, not
// with JSON.parse. That must never change what the client gets or what the trace records.

const DELTA = '{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"gpt-4o","system_fingerprint":"fp_1","choices":[{"index":0,"delta":{"content":"Hi"},"logprobs":null,"finish_reason":null}]}'

const learn = (data: string) => DeltaTemplate.learn(data, JSON.parse(data) as unknown)
const match = (tpl: DeltaTemplate, data: string) => { const b = Buffer.from(data); return tpl.match(b, 0, b.length) }

t.test('a template is learned from a plain content delta and reads its siblings', async (t) => {
  const tpl = learn(DELTA)
  if (tpl === undefined) throw new Error('no template')
  t.equal(match(tpl, DELTA.replace('"Hi"', '" Paris"')), ' Paris')
  t.equal(match(tpl, DELTA.replace('"Hi"', '"a\\n\\"b\\" \\u00e9 ☕"')), 'a\n"b" é ☕')
  t.equal(match(tpl, DELTA.replace('"Hi"', '""')), '')
  for (const slot of ['"a"},"x":{"y":"b', '1', 'null', '"open', '"a" "b"', '"\u0001"', '"a\\x"']) {
    t.equal(match(tpl, DELTA.replace('"Hi"', slot)), undefined, `not one string: ${slot}`)
  }
  t.equal(match(tpl, DELTA.replace('"finish_reason":null', '"finish_reason":"stop"')), undefined, 'other bytes changed')
  t.equal(match(tpl, DELTA.replace('chatcmpl-1', 'chatcmpl-2')), undefined)
  // Bytes that are not UTF-8 read as JSON.parse reads them after decoding (U+FFFD), with or without escapes.
  const [head, tail] = DELTA.split('"Hi"') as [string, string]
  for (const inner of [Buffer.from([0x61, 0xff, 0x62]), Buffer.from([0xe2, 0x98]), Buffer.from([0xff, 0x5c, 0x6e])]) {
    const b = Buffer.concat([Buffer.from(head + '"'), inner, Buffer.from('"' + tail)])
    t.equal(tpl.match(b, 0, b.length), JSON.parse(Buffer.concat([Buffer.from('"'), inner, Buffer.from('"')]).toString()))
  }
})

t.test('what teaches no template', async (t) => {
  for (const data of [
    DELTA.replace('"finish_reason":null', '"finish_reason":"stop"'),
    DELTA.replace('{"content":"Hi"}', '{"role":"assistant","content":"Hi"}'),
    DELTA.replace('{"content":"Hi"}', '{"tool_calls":[]}'),
    DELTA.replace('"choices":[', '"usage":{"prompt_tokens":1},"choices":['),
    DELTA.replace('{"content":"Hi"}', '{"content":"x","content":"Hi"}'), // the first "content" is not the one read
    DELTA.replace('[{"index":0', '[{"index":1,"delta":{}},{"index":0')
  ]) t.equal(learn(data), undefined, data)
  t.ok(learn(DELTA.replace('"choices":[', '"usage":null,"choices":[')), 'usage: null (include_usage streams) is fine')
  t.ok(learn(DELTA.replace('"content":"Hi"', '"content" :  "Hi"')), 'whitespace around the colon')
  t.ok(learn(DELTA.replace('{"content":"Hi"}', '{"content":"x"}').replace('"model":"gpt-4o"', '"model":"content"')), 'a value spelled "content"')
})

// ---- the property: random streams, read with and without templates ----

function pick<T> (r: () => number, xs: readonly T[]): T { return xs[Math.floor(r() * xs.length)] as T }

function randomContent (r: () => number): string {
  const pieces = ['a', ' Paris', 'é', '☕', '😀', '\\n', '\\"', '\\\\', '\\u00e9', '\\/', '"', '\\x', '\u0001', '\\u12', '}', ']', ',', ':', '"content":"']
  let s = ''
  const n = Math.floor(r() * 4)
  for (let i = 0; i < n; i++) s += pick(r, pieces)
  return `"${s}"`
}

function randomEvent (r: () => number, base: string): string {
  const k = r()
  if (k < 0.7) return base.replace('"Hi"', randomContent(r))
  if (k < 0.75) return base.replace('"Hi"', pick(r, ['"a"},"x":{"y":"b', '1', 'null', '"a" "b"', '{}']))
  if (k < 0.8) return base.replace('"finish_reason":null', `"finish_reason":${pick(r, ['"stop"', '"length"', 'null', '1'])}`)
  if (k < 0.83) return base.replace('{"content":"Hi"}', '{"tool_calls":[{"index":0,"function":{"arguments":"{}"}}]}')
  if (k < 0.86) return base.replace('"choices":[', '"usage":{"prompt_tokens":3,"completion_tokens":2},"choices":[')
  if (k < 0.88) return base.replace('"chatcmpl-1"', '"chatcmpl-2"')
  if (k < 0.9) return '{"error":{"type":"server_error","message":"boom"}}'
  if (k < 0.92) return base.slice(0, Math.floor(r() * base.length))
  if (k < 0.95) return base.replace('{"content":"Hi"}', `{"content":${randomContent(r)},"content":${randomContent(r)}}`)
  return base.replace('"Hi"', '"Hi" ')
}

function run (machine: StreamMachine, chunks: Buffer[]) {
  const p = new SsePipeline(machine, 'openai', 'openai')
  const steps: StreamStep[] = []
  for (const c of chunks) {
    const step = p.push(c)
    steps.push(step)
    if (step.done) break
  }
  if (steps.at(-1)?.done !== true) steps.push(p.end())
  return {
    out: Buffer.concat(steps.map((s) => Buffer.from(s.out))).toString(),
    firstTokens: steps.map((s) => s.firstToken === true),
    faults: steps.map((s) => s.fault?.code),
    summary: p.summary()
  }
}

t.test('property: the same output, steps and summary as reading every event in full', async (t) => {
  for (let seed = 1; seed <= 400; seed++) {
    const r = rng(seed)
    const base = pick(r, [DELTA, DELTA.replace('"choices":[', '"usage":null,"choices":['), DELTA.replace('"content":"Hi"', '"content": "Hi"')])
    const events = [base.replace('{"content":"Hi"}', '{"role":"assistant","content":""}')]
    const n = 1 + Math.floor(r() * 12)
    for (let i = 0; i < n; i++) events.push(randomEvent(r, base))
    if (r() < 0.8) events.push(base.replace('"finish_reason":null', '"finish_reason":"stop"').replace('"Hi"', '""'))
    if (r() < 0.8) events.push('[DONE]')
    const text = events.map((e) => `data: ${e}\n\n`).join('')
    // Split at random places: events cut across chunks take both paths.
    const bytes = Buffer.from(text)
    const chunks: Buffer[] = []
    for (let at = 0; at < bytes.length;) {
      const size = r() < 0.5 ? bytes.length : 1 + Math.floor(r() * 200)
      chunks.push(bytes.subarray(at, at + size))
      at += size
    }
    const opts = { provider: 'openai', hideUsage: r() < 0.5, reportsCost: false }
    const fast = new OpenAIStreamMachine(opts)
    const full = new OpenAIStreamMachine(opts)
    // The same machine without its byte path: every event through onEvent.
    const plain: StreamMachine = {
      onEvent: (e, d) => full.onEvent(e, d),
      onComment: (c) => full.onComment(c),
      missingTerminal: () => full.missingTerminal(),
      state: () => full.state()
    }
    const a = run(fast, chunks)
    const b = run(plain, chunks)
    if (JSON.stringify(a) !== JSON.stringify(b)) {
      t.same(a, b, `seed ${seed}`)
      return
    }
  }
  t.pass('400 random streams read the same both ways')
})

t.test('templates are used: a long stream of deltas reads most of them from bytes', async (t) => {
  const machine = new OpenAIStreamMachine({ provider: 'openai', hideUsage: false, reportsCost: false })
  let parsed = 0
  const onEvent = machine.onEvent.bind(machine)
  machine.onEvent = (e, d) => { parsed++; return onEvent(e, d) }
  const events = Array.from({ length: 50 }, (_, i) => DELTA.replace('"Hi"', `"w${i}"`))
  events.push(DELTA.replace('"finish_reason":null', '"finish_reason":"stop"').replace('"Hi"', '""'), '[DONE]')
  const p = new SsePipeline(machine, 'openai', 'openai')
  const step = p.push(Buffer.from(events.map((e) => `data: ${e}\n\n`).join('')))
  t.equal(step.done, true)
  t.equal(p.summary().outputText, Array.from({ length: 50 }, (_, i) => `w${i}`).join(''))
  t.ok(parsed <= 3, `${parsed} events parsed in full out of 52`)
})
