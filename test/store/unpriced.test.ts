import t from 'tap'
import { unpricedRepository } from '../../plugins/proxy/store/index.js'
import { eachBackend } from '../helpers/backends.js'

eachBackend(t, async (t, backend) => {
  const store = backend.makeStore()
  await store.open()
  t.teardown(() => store.close())
  const repo = await store.repository('unpricedModels', unpricedRepository(1000))
  const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s))

  await repo.record({ projectId: 'p1', provider: 'openai', model: 'gpt-9', at: at(5) })
  await repo.record({ projectId: 'p1', provider: 'openai', model: 'gpt-9', at: at(3) })
  await Promise.all([1, 2, 3].map(async (s) => await repo.record({ projectId: 'p1', provider: 'custom', model: 'llama-x', at: at(10 + s) })))
  await repo.record({ projectId: 'p2', provider: 'openai', model: 'gpt-9', at: at(1) })

  const list = await repo.list('p1', 10)
  t.same(list.map((m) => [m.provider, m.model, m.count]), [['custom', 'llama-x', 3], ['openai', 'gpt-9', 2]], 'counts; most recently seen first; concurrent first sightings counted')
  t.same(list[1]?.firstSeen, at(3), 'first seen is the earliest')
  t.same(list[1]?.lastSeen, at(5), 'last seen is the latest, whatever the arrival order')
  t.same((await repo.list('p2', 10)).map((m) => m.count), [1], 'per project')
  t.same(await repo.list('p3', 10), [])
  t.equal((await repo.list('p1', 1)).length, 1, 'limit')
})

eachBackend(t, async (t, backend) => {
  t.test('a project cannot make the store remember more than maxPerProject models', async (t) => {
    const store = backend.makeStore()
    await store.open()
    t.teardown(() => store.close())
    const repo = await store.repository('unpricedModels', unpricedRepository(3))
    const at = new Date(Date.UTC(2026, 0, 1))
    for (let i = 0; i < 6; i++) await repo.record({ projectId: 'p1', provider: 'ollama', model: `junk-${i}`, at })
    await repo.record({ projectId: 'p1', provider: 'ollama', model: 'junk-0', at })
    const list = await repo.list('p1', 100)
    t.equal(list.length, 3, 'only the first three models are kept')
    t.equal(list.find((m) => m.model === 'junk-0')?.count, 2, 'a kept model still counts')
    await repo.record({ projectId: 'p2', provider: 'ollama', model: 'junk-9', at })
    t.equal((await repo.list('p2', 100)).length, 1, 'the cap is per project')
  })
})
