/**
 * An application process for the exit tests: it observes an OpenAI client, makes one call, and
 * then either just ends (`exit` mode: the SDK's beforeExit flush must deliver) or waits for a
 * signal (`signal` mode: handleSignals must flush, then let the signal end the process).
 */
import OpenAI from 'openai'
import { initPulse, observe } from '../../../sdk/index.js'

const [mode, apiUrl, apiKey, upstream] = process.argv.slice(2) as [string, string, string, string]

initPulse({ apiKey, apiUrl, flushInterval: 600_000, ...(mode === 'signal' ? { handleSignals: true, flushOnExit: false } : {}) })
const client = observe(new OpenAI({ apiKey: 'sk', baseURL: `${upstream}/v1`, maxRetries: 0 }))
await client.chat.completions.create({ model: `child-${mode}`, messages: [{ role: 'user', content: 'hi' }] })
if (mode === 'signal') {
  // Keeps the process alive until the signal comes.
  setInterval(() => {}, 60_000)
  process.stdout.write('ready\n')
}
