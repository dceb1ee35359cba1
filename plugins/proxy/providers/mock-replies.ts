import { createHash } from 'node:crypto'
import { arr, obj, str, type JsonObject } from './json.js'

/** A deterministic answer: the same request always yields the same text and usage. */
export interface MockReply {
  id: string
  /** Output "tokens": each is one streamed piece and counts as one output token. */
  pieces: string[]
  text: string
  inputTokens: number
  outputTokens: number
  finish: 'stop' | 'length'
}

function contentText (content: unknown): string {
  if (typeof content === 'string') return content
  return (arr(content) ?? []).map((p) => str(obj(p)?.text) ?? '').join(' ')
}

/** Every prompt character the model would read: system, messages, tool results. */
export function promptText (body: JsonObject): string {
  const parts: string[] = [contentText(body.system)]
  for (const m of arr(body.messages) ?? []) parts.push(contentText(obj(m)?.content))
  return parts.join('\n')
}

function lastUserText (body: JsonObject): string {
  const messages = arr(body.messages) ?? []
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = obj(messages[i])
    if (m?.role === 'user') return contentText(m.content)
  }
  return ''
}

/** Roughly four characters a token, like the real tokenizers on English text; exact is not the point, stable is. */
export function countTokens (text: string): number {
  return Math.max(1, Math.ceil(text.length / 4))
}

export function mockReply (body: JsonObject, model: string, maxTokens: number | undefined): MockReply {
  const said = lastUserText(body).trim().split(/\s+/).filter(Boolean).slice(0, 12).join(' ')
  const words = `Mock reply from ${model}: you said "${said}".`.split(' ')
  let pieces = words.map((w, i) => (i === 0 ? w : ' ' + w))
  let finish: MockReply['finish'] = 'stop'
  if (maxTokens !== undefined && maxTokens < pieces.length) {
    pieces = pieces.slice(0, Math.max(0, maxTokens))
    finish = 'length'
  }
  const id = createHash('sha256').update(JSON.stringify(body)).digest('hex').slice(0, 24)
  return {
    id,
    pieces,
    text: pieces.join(''),
    inputTokens: countTokens(promptText(body)),
    outputTokens: pieces.length,
    finish
  }
}

/** A stable unit vector per input, for the mock's embeddings. */
export function mockEmbedding (input: string, dimensions = 8): number[] {
  const digest = createHash('sha256').update(input).digest()
  const raw = Array.from({ length: dimensions }, (_, i) => (digest[i] ?? 0) - 127.5)
  const norm = Math.hypot(...raw) || 1
  return raw.map((v) => Math.round((v / norm) * 1e6) / 1e6)
}
