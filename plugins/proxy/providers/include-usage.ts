import type { IncludeUsageMode } from './types.js'

/**
 * Remembers which OpenAI-compatible base URLs reject `stream_options.include_usage`.
 * Owned by one proxy instance (no module state). The protocol, for `auto` mode:
 *   1. `shouldInject(mode, baseUrl)` → inject unless this base URL is known to reject it;
 *   2. on a 400/422 to an injected request, `shouldRetryWithout(status, injected)` says retry once without;
 *   3. if that retry succeeds, `rememberRejected(baseUrl)`; if it fails too, the field was not the
 *      problem and nothing is remembered (the second failure is what the client sees).
 */
export class IncludeUsageMemory {
  private readonly rejected = new Set<string>()
  private readonly limit: number

  constructor (limit = 1000) {
    this.limit = limit
  }

  shouldInject (mode: IncludeUsageMode, baseUrl: string): boolean {
    if (mode === 'never') return false
    if (mode === 'always') return true
    return !this.rejected.has(baseUrl)
  }

  shouldRetryWithout (status: number, injected: boolean, mode: IncludeUsageMode): boolean {
    return injected && mode === 'auto' && (status === 400 || status === 422)
  }

  rememberRejected (baseUrl: string): void {
    // Base URLs come from configuration, so the set stays small; the cap only guards misuse.
    if (this.rejected.size >= this.limit) return
    this.rejected.add(baseUrl)
  }

  isRejected (baseUrl: string): boolean {
    return this.rejected.has(baseUrl)
  }
}
