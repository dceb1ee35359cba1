/** One dispatched Server-Sent Event, or a comment line (`: heartbeat`). */
export type SseItem =
  | { type: 'event', event?: string, data: string, id?: string }
  | { type: 'comment', text: string }

/**
 * Incremental SSE parser (WHATWG rules) for bytes as they come off a socket: a chunk may end
 * mid-line, mid-UTF-8 character, or between the CR and LF of a CRLF. Multi-line `data:` fields
 * are joined with `\n`; an event is dispatched at a blank line.
 */
export class SseParser {
  private readonly decoder = new TextDecoder('utf-8')
  private buffer = ''
  private afterCR = false
  private started = false
  private event: string | undefined
  private data: string[] = []
  private id: string | undefined
  private hasFields = false

  push (chunk: Uint8Array | string): SseItem[] {
    let text = typeof chunk === 'string' ? chunk : this.decoder.decode(chunk, { stream: true })
    if (!this.started && text.length > 0) {
      this.started = true
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1)
    }
    return this.consume(text)
  }

  /**
   * The upstream ended. Returns the items still complete, and whether an unfinished event
   * (no blank line yet) was pending: the spec discards it, and a stream that ends that way was cut.
   */
  end (): { items: SseItem[], partial: boolean } {
    const items = this.consume(this.decoder.decode())
    const partial = this.buffer.length > 0 || this.hasFields
    this.buffer = ''
    this.resetEvent()
    return { items, partial }
  }

  private consume (text: string): SseItem[] {
    const items: SseItem[] = []
    let start = 0
    // A CR at the end of the previous chunk already ended its line; skip the LF that completes it.
    if (this.afterCR && text.startsWith('\n')) start = 1
    this.afterCR = false
    let pending = this.buffer
    for (let i = start; i < text.length; i++) {
      const c = text.charCodeAt(i)
      if (c !== 10 && c !== 13) continue
      const line = pending + text.slice(start, i)
      pending = ''
      if (c === 13) {
        if (i + 1 < text.length) {
          if (text.charCodeAt(i + 1) === 10) i++
        } else {
          this.afterCR = true
        }
      }
      start = i + 1
      this.line(line, items)
    }
    this.buffer = pending + text.slice(start)
    return items
  }

  private line (line: string, items: SseItem[]): void {
    if (line === '') {
      if (this.hasFields) {
        const item: SseItem = { type: 'event', data: this.data.join('\n') }
        if (this.event !== undefined) item.event = this.event
        if (this.id !== undefined) item.id = this.id
        // Per spec an event with no data field is not dispatched.
        if (this.data.length > 0) items.push(item)
      }
      this.resetEvent()
      return
    }
    if (line.startsWith(':')) {
      items.push({ type: 'comment', text: line.slice(1).replace(/^ /, '') })
      return
    }
    const colon = line.indexOf(':')
    const field = colon === -1 ? line : line.slice(0, colon)
    let value = colon === -1 ? '' : line.slice(colon + 1)
    if (value.startsWith(' ')) value = value.slice(1)
    this.hasFields = true
    if (field === 'data') this.data.push(value)
    else if (field === 'event') this.event = value
    else if (field === 'id' && !value.includes('\0')) this.id = value
  }

  private resetEvent (): void {
    this.event = undefined
    this.data = []
    this.id = undefined
    this.hasFields = false
  }
}
