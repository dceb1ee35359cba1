/** The parts of Anthropic's Messages wire format that pulse-proxy builds. */

export interface AnthropicUsage {
  input_tokens: number
  output_tokens: number
  cache_creation_input_tokens?: number | null
  cache_read_input_tokens?: number | null
}

export type AnthropicImageSource =
  | { type: 'base64', media_type: string, data: string }
  | { type: 'url', url: string }

export type AnthropicContentBlock =
  | { type: 'text', text: string }
  | { type: 'image', source: AnthropicImageSource }
  | { type: 'tool_use', id: string, name: string, input: unknown }
  | { type: 'tool_result', tool_use_id: string, content: string | Array<{ type: 'text', text: string }>, is_error?: boolean }

export interface AnthropicMessage {
  role: 'user' | 'assistant'
  content: string | AnthropicContentBlock[]
}

export interface AnthropicTool {
  name: string
  description?: string
  input_schema: unknown
}

export type AnthropicToolChoice =
  | { type: 'auto' | 'any' | 'none', disable_parallel_tool_use?: boolean }
  | { type: 'tool', name: string, disable_parallel_tool_use?: boolean }

export interface AnthropicRequest {
  model: string
  max_tokens: number
  messages: AnthropicMessage[]
  system?: string
  stream?: boolean
  temperature?: number
  top_p?: number
  stop_sequences?: string[]
  tools?: AnthropicTool[]
  tool_choice?: AnthropicToolChoice
  metadata?: { user_id: string }
}
