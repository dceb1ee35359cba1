// Provider proxy overhead: three targets in one run — direct to a mock upstream, a minimal
// Fastify + undici passthrough (the floor), and pulse-proxy (API-key auth, vault lookup,
// tracing on a memory store) — non-streaming and streaming, at concurrency 1 (precise
// per-request timings with undici), at a fixed 500 req/s and at maximum throughput (autocannon),
// plus RSS with 1 000 concurrent open streams. Every process is on 127.0.0.1; each role runs in
// its own process (bench/proxy-targets.ts) so the load generator does not share their CPU time
// slices' event loop.
import { spawn, type ChildProcess } from 'node:child_process'
import { performance } from 'node:perf_hooks'
import { fileURLToPath } from 'node:url'
import autocannon from 'autocannon'
import { Agent, Pool, request } from 'undici'
import type { BenchContext, BenchModule, BenchSection } from './types.js'
import { fmt, median, quantile } from './util.js'

const TARGETS = fileURLToPath(new URL('./proxy-targets.ts', import.meta.url))
const SECONDS = Number(process.env.BENCH_PROXY_SECONDS ?? 5)
const C1_REQUESTS = Number(process.env.BENCH_PROXY_C1 ?? 1500)
const OPEN_STREAMS = 1000

interface Proc { child: ChildProcess, port: number, apiKey?: string }

async function start (role: string, env: Record<string, string> = {}): Promise<Proc> {
  const child = spawn(process.execPath, ['--import', 'tsx', TARGETS, role], { env: { ...process.env, ...env, NODE_ENV: 'development' }, stdio: ['ignore', 'pipe', 'inherit'] })
  return await new Promise<Proc>((resolve, reject) => {
    let out = ''
    const timer = setTimeout(() => reject(new Error(`${role} did not start`)), 60_000)
    child.stdout?.on('data', (c: Buffer) => {
      out += c.toString()
      const m = /READY (\d+)(?: (\S+))?/.exec(out)
      if (m !== null) {
        clearTimeout(timer)
        const proc: Proc = { child, port: Number(m[1]) }
        if (m[2] !== undefined) proc.apiKey = m[2]
        resolve(proc)
      }
    })
    child.on('exit', (code) => reject(new Error(`${role} exited with ${code ?? 'signal'}`)))
  })
}

function stop (p: Proc): void {
  p.child.kill('SIGKILL')
}

interface Target { name: string, url: string, headers: Record<string, string> }

const BODY = { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'What is the capital of France?' }], max_tokens: 32 }

/** Concurrency 1 with undici: latency to the end of the body, and to its first byte (TTFT for streams). */
async function sequential (target: Target, stream: boolean, n: number) {
  const agent = new Agent({ connections: 1, pipelining: 1 })
  const body = JSON.stringify({ ...BODY, stream })
  const total: number[] = []
  const first: number[] = []
  for (let i = 0; i < n + 100; i++) {
    const t0 = performance.now()
    const res = await request(`${target.url}/v1/chat/completions`, { dispatcher: agent, method: 'POST', headers: { 'content-type': 'application/json', ...target.headers }, body })
    let t1 = 0
    for await (const chunk of res.body) { if (t1 === 0 && chunk.length > 0) t1 = performance.now() }
    const t2 = performance.now()
    if (res.statusCode !== 200) throw new Error(`${target.name}: status ${res.statusCode}`)
    // The first 100 are warm-up (JIT, connection set-up).
    if (i >= 100) { total.push(t2 - t0); first.push(t1 - t0) }
  }
  await agent.close()
  return { p50: median(total), p99: quantile(total, 0.99), ttft50: median(first), ttft99: quantile(first, 0.99) }
}

async function cannon (target: Target, stream: boolean, opts: { connections: number, overallRate?: number }) {
  const result = await autocannon({
    url: `${target.url}/v1/chat/completions`,
    method: 'POST',
    headers: { 'content-type': 'application/json', ...target.headers },
    body: JSON.stringify({ ...BODY, stream }),
    connections: opts.connections,
    duration: SECONDS,
    ...(opts.overallRate !== undefined ? { overallRate: opts.overallRate } : {})
  })
  return { rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, non2xx: result.non2xx, errors: result.errors, timeouts: result.timeouts }
}

/** 1 000 streams open at once through pulse-proxy, each 20 deltas 250 ms apart. */
async function openStreams (url: string, apiKey: string, rssUrl: string) {
  const pool = new Pool(url, { connections: OPEN_STREAMS, pipelining: 1 })
  const body = JSON.stringify({ ...BODY, model: 'slow', stream: true })
  let peakRss = 0
  const sampler = setInterval(() => {
    request(rssUrl).then(async (r) => { peakRss = Math.max(peakRss, Number(await r.body.text())) }, () => {})
  }, 200)
  let maxGap = 0
  let complete = 0
  const t0 = performance.now()
  await Promise.all(Array.from({ length: OPEN_STREAMS }, async () => {
    const res = await request(`${url}/v1/chat/completions`, { dispatcher: pool, method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` }, body })
    let last = performance.now()
    let text = ''
    for await (const chunk of res.body) {
      const now = performance.now()
      maxGap = Math.max(maxGap, now - last)
      last = now
      text += String(chunk)
    }
    if (text.endsWith('data: [DONE]\n\n')) complete++
  }))
  const seconds = (performance.now() - t0) / 1000
  clearInterval(sampler)
  await pool.close()
  return { complete, maxGap, peakRss, seconds }
}

async function run (ctx: BenchContext): Promise<BenchSection> {
  const mock = await start('mock')
  const upstream = `http://127.0.0.1:${mock.port}/v1`
  const floor = await start('floor', { BENCH_UPSTREAM: upstream })
  const pulse = await start('pulse', { BENCH_UPSTREAM: upstream })
  const targets: Target[] = [
    { name: 'direct', url: `http://127.0.0.1:${mock.port}`, headers: {} },
    { name: 'floor', url: `http://127.0.0.1:${floor.port}`, headers: {} },
    { name: 'pulse', url: `http://127.0.0.1:${pulse.port}`, headers: { authorization: `Bearer ${pulse.apiKey ?? ''}` } }
  ]
  type Row = Record<string, number>
  const rows: Record<string, Row> = {}
  try {
    for (const stream of [false, true]) {
      const mode = stream ? 'stream' : 'json'
      for (const target of targets) {
        ctx.log(`proxy: ${target.name} ${mode} c=1`)
        const c1 = await sequential(target, stream, C1_REQUESTS)
        ctx.log(`proxy: ${target.name} ${mode} 500 req/s`)
        const fixed = await cannon(target, stream, { connections: 10, overallRate: 500 })
        ctx.log(`proxy: ${target.name} ${mode} max`)
        const max = await cannon(target, stream, { connections: 32 })
        rows[`${target.name}/${mode}`] = {
          c1p50: c1.p50,
          c1p99: c1.p99,
          ttft50: c1.ttft50,
          ttft99: c1.ttft99,
          fixedP50: fixed.p50,
          fixedP99: fixed.p99,
          fixedRps: fixed.rps,
          maxRps: max.rps,
          maxP50: max.p50,
          maxP99: max.p99,
          bad: fixed.non2xx + fixed.errors + fixed.timeouts + max.non2xx + max.errors + max.timeouts
        }
      }
    }
  } finally {
    stop(floor)
    stop(pulse)
  }

  ctx.log(`proxy: ${OPEN_STREAMS} open streams`)
  const fresh = await start('pulse', { BENCH_UPSTREAM: upstream })
  let streams
  try {
    streams = await openStreams(`http://127.0.0.1:${fresh.port}`, fresh.apiKey ?? '', `http://127.0.0.1:${fresh.port}/__rss`)
  } finally {
    stop(fresh)
    stop(mock)
  }

  const r = (name: string, mode: string): Row => rows[`${name}/${mode}`] ?? {}
  const added = (name: string, mode: string, key: string) => (r(name, mode)[key] ?? 0) - (r('direct', mode)[key] ?? 0)
  const checks: BenchSection['checks'] = []
  const lines: string[] = []
  for (const mode of ['json', 'stream']) {
    const f50 = added('floor', mode, 'c1p50')
    const p50 = added('pulse', mode, 'c1p50')
    const f99 = added('floor', mode, 'c1p99')
    const p99 = added('pulse', mode, 'c1p99')
    checks.push({ name: `proxy ${mode}: added p50 within 0.3 ms of the floor's`, ok: p50 - f50 <= 0.3, detail: `pulse +${fmt(p50, 3)} ms vs floor +${fmt(f50, 3)} ms (Δ ${fmt(p50 - f50, 3)} ms)` })
    checks.push({ name: `proxy ${mode}: added p99 ≤ 1.5× the floor's`, ok: p99 <= 1.5 * f99, detail: `pulse +${fmt(p99, 3)} ms vs floor +${fmt(f99, 3)} ms (${fmt(p99 / Math.max(f99, 1e-9), 2)}×)` })
    if (mode === 'stream') {
      const ft = added('floor', mode, 'ttft50')
      const pt = added('pulse', mode, 'ttft50')
      const ft99 = added('floor', mode, 'ttft99')
      const pt99 = added('pulse', mode, 'ttft99')
      checks.push({ name: 'proxy stream: added TTFT p50 within 0.3 ms of the floor\'s', ok: pt - ft <= 0.3, detail: `pulse +${fmt(pt, 3)} ms vs floor +${fmt(ft, 3)} ms` })
      checks.push({ name: 'proxy stream: added TTFT p99 ≤ 1.5× the floor\'s', ok: pt99 <= 1.5 * ft99, detail: `pulse +${fmt(pt99, 3)} ms vs floor +${fmt(ft99, 3)} ms` })
    }
    const ratio = (r('pulse', mode).maxRps ?? 0) / Math.max(1, r('floor', mode).maxRps ?? 0)
    checks.push({ name: `proxy ${mode}: max throughput ≥ 70 % of the floor's`, ok: ratio >= 0.7, detail: `${fmt(r('pulse', mode).maxRps ?? 0)} vs ${fmt(r('floor', mode).maxRps ?? 0)} req/s (${fmt(ratio * 100)} %)` })
    lines.push(
      `### ${mode === 'json' ? 'Non-streaming' : 'Streaming'} (\`stream: ${String(mode === 'stream')}\`)`,
      '',
      '| target | c=1 p50 | c=1 p99 | ' + (mode === 'stream' ? 'TTFT p50 | TTFT p99 | ' : '') + '500 req/s p50 | 500 req/s p99 | max req/s | max p50 | max p99 | failed |',
      '| --- | --- | --- | ' + (mode === 'stream' ? '--- | --- | ' : '') + '--- | --- | --- | --- | --- | --- |',
      ...['direct', 'floor', 'pulse'].map((name) => {
        const x = r(name, mode)
        const ms = (v: number | undefined, d = 3) => `${fmt(v ?? 0, d)} ms`
        return `| ${name} | ${ms(x.c1p50)} | ${ms(x.c1p99)} | ` + (mode === 'stream' ? `${ms(x.ttft50)} | ${ms(x.ttft99)} | ` : '') +
          `${ms(x.fixedP50, 0)} | ${ms(x.fixedP99, 0)} | ${fmt(x.maxRps ?? 0)} | ${ms(x.maxP50, 0)} | ${ms(x.maxP99, 0)} | ${fmt(x.bad ?? 0)} |`
      }),
      '',
      `Added over direct at c=1: floor p50 +${fmt(added('floor', mode, 'c1p50'), 3)} ms, p99 +${fmt(added('floor', mode, 'c1p99'), 3)} ms; ` +
        `pulse-proxy p50 +${fmt(added('pulse', mode, 'c1p50'), 3)} ms, p99 +${fmt(added('pulse', mode, 'c1p99'), 3)} ms.` +
        (mode === 'stream' ? ` Added TTFT: floor +${fmt(added('floor', mode, 'ttft50'), 3)} ms, pulse-proxy +${fmt(added('pulse', mode, 'ttft50'), 3)} ms (p50).` : ''),
      ''
    )
  }
  const rssMb = streams.peakRss / 2 ** 20
  checks.push({ name: `proxy: ${OPEN_STREAMS} concurrent streams complete, no stalls`, ok: streams.complete === OPEN_STREAMS && streams.maxGap < 2000, detail: `${streams.complete}/${OPEN_STREAMS} ended with [DONE]; longest gap between chunks ${fmt(streams.maxGap)} ms (upstream sends every 250 ms)` })
  checks.push({ name: `proxy: RSS with ${OPEN_STREAMS} open streams < 200 MB`, ok: rssMb < 200, detail: `peak ${fmt(rssMb, 1)} MB` })
  lines.push(
    `### ${OPEN_STREAMS} concurrent open streams`,
    '',
    `A fresh pulse-proxy process; ${OPEN_STREAMS} streams opened at once, each 20 deltas 250 ms apart (≈ 5 s). ` +
      `${streams.complete}/${OPEN_STREAMS} completed with \`[DONE]\` in ${fmt(streams.seconds, 1)} s; longest gap between two chunks seen by a client: ${fmt(streams.maxGap)} ms; ` +
      `peak RSS of the pulse-proxy process (sampled every 200 ms): **${fmt(rssMb, 1)} MB**.`,
    ''
  )
  const markdown = [
    'Loopback only. Processes: mock upstream, floor, pulse-proxy, and this load generator, each its own Node process on a 2-core machine shared with other work; figures are noisy, compare within the run. ' +
      `c=1: ${C1_REQUESTS} sequential requests per target after 100 warm-up ones, timed with \`performance.now()\` around undici (µs resolution); TTFT is the time to the first body byte. ` +
      `500 req/s and max (32 connections): autocannon, ${SECONDS} s each (its latencies have 1 ms resolution). ` +
      'pulse-proxy: API key auth (cached 5 s), vault key (cached 5 s), tracing on (memory store; bodies captured and redacted), `include_usage` injected and hidden, overhead header.',
    '',
    ...lines
  ].join('\n')
  return { title: 'Provider proxy: overhead against a minimal passthrough', markdown, checks }
}

export const proxyBench: BenchModule = { name: 'proxy', run }
