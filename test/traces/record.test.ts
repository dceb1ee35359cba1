import t from 'tap'
import { build } from '../helpers/app.js'
import { makeTrace } from '../helpers/traces.js'
import { createTracesService } from '../../plugins/traces/service.js'
import { MemoryTraces } from '../../plugins/traces/store/memory.js'
import type { TraceRecord } from '../../plugins/traces/store/store.js'
import { resolveOptions } from '../../lib/options.js'
import { TracesOptions } from '../../plugins/traces/options.js'
import { createPricing } from '../../lib/pricing.js'

const rec = (o = {}) => ({ ...makeTrace(o), project_id: 'P' })

/** A repository whose writes wait until released, and can be made to fail. */
class GatedTraces extends MemoryTraces {
  writes: number[] = []
  fail = false
  private gate: Promise<void> | undefined
  private open: (() => void) | undefined
  hold () { this.gate = new Promise((resolve) => { this.open = resolve }) }
  release () { this.open?.(); this.gate = undefined }
  override async insertNew (traces: TraceRecord[]) {
    this.writes.push(traces.length)
    await this.gate
    if (this.fail) throw new Error('store down')
    return super.insertNew(traces)
  }
}

/** The same, as a store in another process (Mongo): written in whole batches, not slices. */
class RemoteTraces extends GatedTraces { override readonly inProcess = false }

function logger () {
  const lines: Array<{ level: string, obj: object, msg?: string }> = []
  const at = (level: string) => (obj: object, msg?: string) => { lines.push({ level, obj, msg }) }
  return { lines, log: { info: at('info'), warn: at('warn'), error: at('error') } }
}

function service (repo: GatedTraces, queue: Partial<TracesOptions['queue']>) {
  const { log, lines } = logger()
  const options = resolveOptions(TracesOptions, { queue })
  return { svc: createTracesService({ repo, options, pricing: createPricing(), log }), lines }
}

t.test('record() returns at once and writes in batches of batchSize', async (t) => {
  const repo = new RemoteTraces()
  const { svc } = service(repo, { batchSize: 10, flushIntervalMs: 60_000 })
  for (let i = 0; i < 25; i++) t.same(svc.record(rec()), { accepted: true })
  t.equal(repo.writes.length, 0, 'nothing is written inside record()')
  await svc.flush()
  t.same(repo.writes, [10, 10, 5])
  t.equal((await repo.list('P', {}, { limit: 100, offset: 0 })).total, 25)
  t.match(svc.stats(), { queued: 0, inFlight: 0, accepted: 25, written: 25, refused: 0 })
})

t.test('a partial batch is written by the interval timer', async (t) => {
  const repo = new GatedTraces()
  const { svc } = service(repo, { batchSize: 100, flushIntervalMs: 5 })
  await svc.start()
  t.teardown(() => svc.close())
  svc.record(rec())
  svc.record(rec())
  // Wait on the outcome, not on a duration.
  while (repo.writes.length === 0) await new Promise((resolve) => setImmediate(resolve))
  t.same(repo.writes, [2])
})

t.test('a full queue refuses with back pressure and counts it; nothing accepted is lost', async (t) => {
  const repo = new RemoteTraces()
  repo.hold()
  const { svc } = service(repo, { batchSize: 5, flushIntervalMs: 60_000, maxSize: 12 })
  const results = Array.from({ length: 20 }, () => svc.record(rec()))
  const accepted = results.filter((r) => r.accepted).length
  t.equal(accepted, 12)
  const refused = results.find((r) => !r.accepted)
  t.match(refused, { accepted: false, reason: 'queue_full', retryable: true })
  t.equal(svc.stats().refused, 8)
  // While a batch is in flight, it still counts against the bound.
  await new Promise((resolve) => setImmediate(resolve))
  t.equal(svc.stats().inFlight, 5)
  t.equal(svc.record(rec()).accepted, false, 'in-flight traces count toward maxSize')
  repo.release()
  await svc.flush()
  t.equal((await repo.list('P', {}, { limit: 100, offset: 0 })).total, 12)
  t.match(svc.stats(), { accepted: 12, refused: 9, written: 12, lost: 0 })
  t.equal(svc.record(rec()).accepted, true, 'room again once written')
})

t.test('a failing store keeps traces queued and retries; close reports what it could not write', async (t) => {
  const repo = new GatedTraces()
  repo.fail = true
  const { svc, lines } = service(repo, { batchSize: 3, flushIntervalMs: 60_000 })
  for (let i = 0; i < 4; i++) svc.record(rec())
  await t.rejects(svc.flush())
  t.match(svc.stats(), { queued: 4, failedWrites: 1 })
  t.ok(lines.some((l) => l.level === 'error'), 'the failure is logged')
  repo.fail = false
  await svc.flush()
  t.equal((await repo.list('P', {}, { limit: 100, offset: 0 })).total, 4, 'retried and written')
  repo.fail = true
  svc.record(rec())
  await svc.close()
  t.equal(svc.stats().lost, 1)
  t.ok(lines.some((l) => l.level === 'error' && (l.obj as { lost?: number }).lost === 1), 'a loss at close is logged with its count')
})

t.test('a drain that finds the queue empty does not stop later writes', async (t) => {
  const repo = new GatedTraces()
  const { svc } = service(repo, { batchSize: 10, flushIntervalMs: 60_000 })
  // Ten traces schedule a drain for the next turn; flush() writes them first, so that drain
  // finds nothing to do. It must not stay "running" and block every later write.
  for (let i = 0; i < 10; i++) svc.record(rec())
  await svc.flush()
  await new Promise((resolve) => setImmediate(resolve))
  for (let i = 0; i < 10; i++) svc.record(rec())
  await svc.flush()
  t.equal(svc.stats().written, 20)
  t.equal(svc.stats().queued, 0)
  // And a drain started on an empty queue settles (flush and close do not spin forever).
  await svc.flush()
  await svc.close()
  t.pass('closed')
})

t.test('writing a batch yields to the event loop while it prepares the traces', async (t) => {
  const repo = new GatedTraces()
  const { svc } = service(repo, { batchSize: 64, flushIntervalMs: 60_000 })
  for (let i = 0; i < 64; i++) svc.record(rec())
  const order: string[] = []
  const flushed = svc.flush().then(() => { order.push('flushed') })
  // Another request's work, two turns of the event loop away.
  setImmediate(() => setImmediate(() => { order.push('other') }))
  await flushed
  t.same(order, ['other', 'flushed'], 'other work ran while the batch was prepared')
  t.equal(svc.stats().written, 64)
})

t.test('an in-process store is written a slice at a time with a pause between; a remote one a batch at a time', async (t) => {
  const local = new GatedTraces()
  const { svc } = service(local, { batchSize: 100, flushIntervalMs: 60_000 })
  for (let i = 0; i < 100; i++) svc.record(rec())
  const order: string[] = []
  const flushed = svc.flush().then(() => { order.push('flushed') })
  setImmediate(() => { order.push(`other after ${local.writes.length} writes`) })
  await flushed
  t.same(local.writes, Array.from({ length: 25 }, () => 4))
  t.equal(order[0], 'other after 1 writes', 'another request\'s work ran after the first slice')

  const remote = new RemoteTraces()
  const { svc: svc2 } = service(remote, { batchSize: 100, flushIntervalMs: 60_000 })
  for (let i = 0; i < 100; i++) svc2.record(rec())
  await svc2.flush()
  t.same(remote.writes, [100])
})

t.test('an in-process store takes larger slices when more traces wait, so the drain keeps up under load', async (t) => {
  const local = new GatedTraces()
  const { svc } = service(local, { batchSize: 1000, flushIntervalMs: 60_000 })
  for (let i = 0; i < 1000; i++) svc.record(rec())
  await svc.flush()
  t.equal(local.writes[0], 40, '1 000 waiting: 40 per turn, written in about 25 turns')
  t.ok(local.writes.length <= 100, `${local.writes.length} slices`)
  t.equal(local.writes.reduce((a, b) => a + b, 0), 1000)
  t.equal(local.writes.at(-1), 4, 'down to 4 per turn as the queue empties')
})

t.test('invalid traces are refused, not thrown', async (t) => {
  const repo = new GatedTraces()
  const { svc } = service(repo, {})
  t.match(svc.record({ ...rec(), project_id: '' }), { accepted: false, reason: 'invalid' })
  t.match(svc.record({ ...rec(), status: 'weird' as 'error' }), { accepted: false, reason: 'invalid' })
  t.match(svc.record({ ...rec(), trace_id: 'nope' }), { accepted: false, reason: 'invalid' })
  t.match(svc.record({ ...rec(), timestamp: new Date(NaN) }), { accepted: false, reason: 'invalid' })
  t.match(svc.record({ ...rec(), timestamp: 'yesterday' }), { accepted: false, reason: 'invalid' })
  // The memory store keeps it in JSON text, where a number that is not finite would come back as null.
  t.match(svc.record({ ...rec(), latency_ms: Infinity }), { accepted: false, reason: 'invalid', message: /latency_ms/ })
  t.equal(svc.stats().refused, 6)
})

t.test('a Date timestamp is stored as that instant, as a Date of the store\'s own', async (t) => {
  const repo = new GatedTraces()
  const { svc } = service(repo, {})
  const at = new Date('2026-03-01T10:00:00.123Z')
  const trace = rec({ timestamp: at.toISOString() })
  t.match(svc.record({ ...trace, timestamp: at }), { accepted: true })
  await svc.flush()
  at.setTime(0)
  const stored = await repo.get('P', trace.trace_id)
  t.equal(stored?.timestamp.toISOString(), '2026-03-01T10:00:00.123Z')
})

t.test('app.pulse.traces: record, stats, and close flushes to the repository before it completes', async (t) => {
  const { app } = await build(t, { traces: { queue: { batchSize: 1000, flushIntervalMs: 60_000 } } })
  const traces = Array.from({ length: 40 }, () => rec())
  for (const tr of traces) app.pulse.traces.record(tr)
  t.equal(app.pulse.traces.stats().queued, 40)
  const analytics = app.pulse.analytics
  await app.close()
  t.equal(app.pulse.traces.stats().written, 40)
  const stored = await Promise.all(traces.map((tr) => app.pulse.traces.get('P', tr.trace_id)))
  t.equal(stored.filter((s) => s !== null).length, 40, 'every recorded trace is in the repository')
  const rollups = await analytics.rollups.range('P', new Date(0), new Date(Date.now() + 86_400_000))
  t.equal(rollups.reduce((n, r) => n + r.requests, 0), 40, 'and rolled up')
})
