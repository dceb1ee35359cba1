import t from 'tap'
import { memoryStore } from '../../lib/store/index.js'
import { MemoryTraces } from '../../plugins/traces/store/memory.js'
import { bearer, build, createProject } from '../helpers/app.js'
import { makeRecord, makeTrace, postBatch } from '../helpers/traces.js'

async function ids (repo: MemoryTraces, projectId: string) {
  const { traces, total } = await repo.list(projectId, {}, { limit: 1000, offset: 0 })
  return { ids: traces.map((r) => r.trace_id).sort(), total }
}

t.test('the memory store keeps the newest maxPerProject traces of each project and drops the oldest stored', async (t) => {
  const repo = new MemoryTraces(3)
  const a = Array.from({ length: 5 }, () => makeRecord('A'))
  const b = Array.from({ length: 2 }, () => makeRecord('B'))
  t.equal((await repo.insertNew(a.slice(0, 2))).length, 2)
  t.equal((await repo.insertNew([...b, ...a.slice(2)])).length, 5, 'every new trace is reported inserted, also one dropped later')
  t.same(await ids(repo, 'A'), { ids: a.slice(2).map((r) => r.trace_id).sort(), total: 3 }, 'A: the three stored last')
  t.equal(await repo.get('A', a[0]!.trace_id), null)
  t.equal(await repo.get('A', a[1]!.trace_id), null)
  t.same(await ids(repo, 'B'), { ids: b.map((r) => r.trace_id).sort(), total: 2 }, 'B is not touched by A\'s traces')

  // Stored order, not timestamp: an old trace stored last is the newest stored.
  const late = makeRecord('A', { timestamp: new Date(Date.UTC(2020, 0, 1)) })
  await repo.insertNew([late])
  t.same((await ids(repo, 'A')).ids, [...a.slice(3).map((r) => r.trace_id), late.trace_id].sort())
})

t.test('dropping goes on in stored order after removals, and after every trace was removed', async (t) => {
  const repo = new MemoryTraces(2)
  const first = Array.from({ length: 4 }, () => makeRecord('A'))
  await repo.insertNew(first)
  t.same((await ids(repo, 'A')).ids, first.slice(2).map((r) => r.trace_id).sort())
  // The next oldest is removed by hand (an undone insert): the one after it goes next.
  await repo.remove([first[2]!])
  const more = Array.from({ length: 2 }, () => makeRecord('A'))
  await repo.insertNew(more)
  t.same((await ids(repo, 'A')).ids, more.map((r) => r.trace_id).sort())
  await repo.remove(more)
  t.equal((await ids(repo, 'A')).total, 0)
  const again = Array.from({ length: 5 }, () => makeRecord('A'))
  for (const r of again) await repo.insertNew([r])
  t.same((await ids(repo, 'A')).ids, again.slice(3).map((r) => r.trace_id).sort(), 'the two stored last')
})

t.test('traces.memoryMaxTraces: GET /traces lists what is kept, analytics still count every trace', async (t) => {
  const { app } = await build(t, { store: memoryStore(), traces: { memoryMaxTraces: 2 } })
  const { apiKey } = await createProject(app)
  const at = Date.UTC(2025, 2, 1, 10)
  const batch = Array.from({ length: 5 }, (_, i) => makeTrace({ timestamp: new Date(at + i * 1000).toISOString() }))
  t.equal((await postBatch(app, apiKey, batch)).statusCode, 202)
  const listed = (await app.inject({ url: '/v1/traces', headers: bearer(apiKey) })).json().data
  t.equal(listed.total, 2)
  t.same(listed.traces.map((x: { trace_id: string }) => x.trace_id), [batch[4]!.trace_id, batch[3]!.trace_id])
  t.equal((await app.inject({ url: `/v1/traces/${batch[0]!.trace_id}`, headers: bearer(apiKey) })).statusCode, 404)
  const res = await app.inject({ url: '/v1/analytics?date_from=2025-03-01&date_to=2025-03-02&group_by=day', headers: bearer(apiKey) })
  t.equal(res.statusCode, 200)
  t.same(res.json().data.costOverTime.map((b: { requests: number }) => b.requests), [5])
})

t.test('traces.memoryMaxTraces is validated at registration', async (t) => {
  await t.rejects(build(t, { traces: { memoryMaxTraces: 0 } }), /memoryMaxTraces/)
})
