import { num, obj } from './json.js'
import type { Usage } from './types.js'
import type { OpenAIUsage } from './wire-openai.js'

export function emptyUsage (): Usage {
  return { inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0, totalTokens: 0 }
}

/** USD (OpenRouter credits) → cents, rounded to a millionth of a cent to drop float noise. */
export function usdToCents (usd: number): number {
  return Math.round(usd * 100 * 1e6) / 1e6
}

/**
 * OpenAI-format `usage` (OpenAI, OpenRouter, Puter, compatible servers). `prompt_tokens` already
 * includes cached tokens. `cost` is read only when `reportsCost` (OpenRouter), because a field of
 * that name from an unknown server is not known to be USD.
 */
export function fromOpenAIUsage (value: unknown, reportsCost = false): Usage | undefined {
  const u = obj(value)
  if (u === undefined) return undefined
  const input = num(u.prompt_tokens)
  const output = num(u.completion_tokens)
  if (input === undefined && output === undefined) return undefined
  const prompt = obj(u.prompt_tokens_details)
  const completion = obj(u.completion_tokens_details)
  const usage: Usage = {
    inputTokens: input ?? 0,
    outputTokens: output ?? 0,
    cacheReadTokens: num(prompt?.cached_tokens) ?? 0,
    cacheWriteTokens: num(prompt?.cache_write_tokens) ?? 0,
    reasoningTokens: num(completion?.reasoning_tokens) ?? 0,
    totalTokens: num(u.total_tokens) ?? (input ?? 0) + (output ?? 0)
  }
  const cost = reportsCost ? num(u.cost) : undefined
  if (cost !== undefined) usage.providerCostCents = usdToCents(cost)
  return usage
}

/**
 * Anthropic `usage`. Its `input_tokens` excludes cache reads and writes, so the normalised
 * `inputTokens` adds them back. Missing fields are left to `base` (the stream's earlier values):
 * a `message_delta` carries only what changed, and its counts are totals so far, not increments.
 */
export function fromAnthropicUsage (value: unknown, base?: Usage): Usage | undefined {
  const u = obj(value)
  if (u === undefined) return base
  const prev = base ?? emptyUsage()
  const prevUncached = prev.inputTokens - prev.cacheReadTokens - prev.cacheWriteTokens
  const uncached = num(u.input_tokens) ?? prevUncached
  const cacheWrite = num(u.cache_creation_input_tokens) ?? prev.cacheWriteTokens
  const cacheRead = num(u.cache_read_input_tokens) ?? prev.cacheReadTokens
  const output = num(u.output_tokens) ?? prev.outputTokens
  const input = uncached + cacheWrite + cacheRead
  return {
    inputTokens: input,
    outputTokens: output,
    cacheReadTokens: cacheRead,
    cacheWriteTokens: cacheWrite,
    reasoningTokens: 0,
    totalTokens: input + output
  }
}

/** Normalised usage → OpenAI `usage`, for translated responses. Cache writes use OpenRouter's field name. */
export function toOpenAIUsage (usage: Usage): OpenAIUsage {
  const out: OpenAIUsage = {
    prompt_tokens: usage.inputTokens,
    completion_tokens: usage.outputTokens,
    total_tokens: usage.totalTokens,
    prompt_tokens_details: { cached_tokens: usage.cacheReadTokens, cache_write_tokens: usage.cacheWriteTokens }
  }
  if (usage.reasoningTokens > 0) out.completion_tokens_details = { reasoning_tokens: usage.reasoningTokens }
  return out
}
