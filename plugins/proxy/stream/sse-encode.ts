/** Serialise one SSE event. Multi-line data is split into several `data:` lines, as the spec requires. */
export function encodeEvent (data: string, event?: string): string {
  const head = event === undefined ? '' : `event: ${event}\n`
  return `${head}data: ${data.replace(/\r\n|\r|\n/g, '\ndata: ')}\n\n`
}

export function encodeComment (text: string): string {
  return `: ${text.replace(/\r\n|\r|\n/g, ' ')}\n\n`
}

export const DONE = 'data: [DONE]\n\n'
