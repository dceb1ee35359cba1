import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { startPulseServer } from './helpers/pulse-server.js'
import { startMockUpstream } from './helpers/upstreams.js'

const child = fileURLToPath(new URL('./helpers/child.ts', import.meta.url))

function run (args: string[], onStdout?: (line: string, kill: (signal: NodeJS.Signals) => void) => void) {
  // A clean application process: tap's NODE_OPTIONS would add its own signal listeners to it.
  const env = { ...process.env, NODE_OPTIONS: '' }
  const proc = spawn(process.execPath, ['--import', 'tsx', child, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env })
  let stderr = ''
  proc.stderr.on('data', (d: Buffer) => { stderr += d.toString() })
  proc.stdout.on('data', (d: Buffer) => onStdout?.(d.toString(), (s) => proc.kill(s)))
  return new Promise<{ code: number | null, signal: NodeJS.Signals | null, stderr: string }>((resolve) => {
    proc.on('exit', (code, signal) => resolve({ code, signal, stderr }))
  })
}

t.test('an app that just ends: the timer does not hold it open, and beforeExit delivers the queued trace', async (t) => {
  const upstream = await startMockUpstream(t)
  const server = await startPulseServer(t)
  const res = await run(['exit', server.url, server.apiKey, upstream.origin])
  t.equal(res.code, 0, res.stderr)
  t.same((await server.traces()).map((x) => x.model_requested), ['child-exit'])
})

t.test('handleSignals: SIGTERM flushes, then the signal ends the process as it would have', async (t) => {
  const upstream = await startMockUpstream(t)
  const server = await startPulseServer(t)
  const res = await run(['signal', server.url, server.apiKey, upstream.origin], (line, kill) => {
    if (line.includes('ready')) kill('SIGTERM')
  })
  t.equal(res.signal, 'SIGTERM', res.stderr)
  t.same((await server.traces()).map((x) => x.model_requested), ['child-signal'])
})
