import t from 'tap'
import { detectProvider } from '../../sdk/index.js'
import { drain, mock, rig } from './helpers/setup.js'

const messages = [{ role: 'user' as const, content: 'hi' }]

t.test('OpenRouter through the OpenAI client: detected from baseURL, cost from usage.cost (USD → cents)', async (t) => {
  const r = await rig(t)
  const client = r.openrouter()
  t.equal(detectProvider(client), 'openrouter')
  t.equal(detectProvider(r.openai()), 'openai')
  t.equal(detectProvider(r.anthropic()), 'anthropic')
  r.pulse.observe(client)

  await client.chat.completions.create({ model: 'openai/gpt-4o-mini', messages }, mock('cost=0.0015'))
  const stream = await client.chat.completions.create({ model: 'anthropic/claude-3.5-haiku', messages, stream: true, stream_options: { include_usage: true } }, mock('cost=0.00042;chunks=2'))
  await drain(stream)
  // No cost reported: the pricing table knows the model under its bare name.
  await client.chat.completions.create({ model: 'openai/gpt-4o', messages })

  await r.pulse.flush()
  const byModel = Object.fromEntries((await r.server.traces()).map((x) => [x.model_requested, x]))
  t.match(byModel['openai/gpt-4o-mini'], { provider: 'openrouter', cost_cents: 0.15, cost_source: 'provider', status: 'success' })
  t.match(byModel['anthropic/claude-3.5-haiku'], { provider: 'openrouter', cost_source: 'provider', usage_source: 'provider', output_text: 'w0 w1 ' })
  t.ok(Math.abs(byModel['anthropic/claude-3.5-haiku']!.cost_cents! - 0.042) < 1e-12, 'sub-cent cost kept')
  t.match(byModel['openai/gpt-4o'], { provider: 'openrouter', cost_source: 'pricing_table' })
  t.ok(byModel['openai/gpt-4o']!.cost_cents! > 0)
})

t.test('an explicit provider name wins over detection (OpenAI-compatible targets)', async (t) => {
  const r = await rig(t)
  const groq = r.pulse.observe(r.openai(), 'groq')
  const forced = r.pulse.observe(r.openai(), { provider: 'openrouter' })
  await groq.chat.completions.create({ model: 'llama-3.1-8b-instant', messages })
  await forced.chat.completions.create({ model: 'openai/gpt-4o-mini', messages })
  await r.pulse.flush()
  const byModel = Object.fromEntries((await r.server.traces()).map((x) => [x.model_requested, x]))
  t.equal(byModel['llama-3.1-8b-instant']!.provider, 'groq')
  t.equal(byModel['openai/gpt-4o-mini']!.provider, 'openrouter')
})
