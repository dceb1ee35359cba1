/** Anthropic `stop_reason` → OpenAI `finish_reason` (seed 001, "Stop Reason Mapping"). */
const ANTHROPIC_TO_OPENAI: Record<string, string> = {
  end_turn: 'stop',
  stop_sequence: 'stop',
  max_tokens: 'length',
  tool_use: 'tool_calls',
  // Not in seed 001's table: the closest OpenAI meanings.
  pause_turn: 'stop',
  refusal: 'content_filter',
  model_context_window_exceeded: 'length'
}

export function anthropicStopToOpenAI (reason: string | null | undefined): string | null {
  if (reason === null || reason === undefined) return null
  return ANTHROPIC_TO_OPENAI[reason] ?? 'stop'
}

/** OpenAI `finish_reason` → Anthropic `stop_reason`, for the in-process mock answering Anthropic format. */
const OPENAI_TO_ANTHROPIC: Record<string, string> = {
  stop: 'end_turn',
  length: 'max_tokens',
  tool_calls: 'tool_use',
  content_filter: 'refusal'
}

export function openAIFinishToAnthropic (reason: string): string {
  return OPENAI_TO_ANTHROPIC[reason] ?? 'end_turn'
}
