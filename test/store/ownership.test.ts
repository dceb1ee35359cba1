import t from 'tap'
import { randomBytes } from 'node:crypto'
import Fastify from 'fastify'
import { MongoClient } from 'mongodb'
import { mongoStore } from '../../lib/store/index.js'
import { pulseProxy } from '../../plugins/pulse-proxy.js'
import { MONGO_SKIP, MONGODB_URL } from '../helpers/backends.js'

const skip = MONGODB_URL === undefined ? MONGO_SKIP : false

t.test('a Db passed in by the host is never closed by pulse-proxy', { skip }, async (t) => {
  const client = new MongoClient(MONGODB_URL as string)
  await client.connect()
  const db = client.db(`pulse_test_${randomBytes(6).toString('hex')}`)
  t.teardown(async () => {
    await db.dropDatabase().catch(() => {})
    await client.close()
  })

  const app = Fastify()
  await app.register(pulseProxy, { store: mongoStore({ db }) })
  const res = await app.inject({ url: '/v1/health' })
  t.equal(res.json().data.store, 'mongo')
  await app.close()

  const ping = await db.command({ ping: 1 })
  t.equal(ping.ok, 1, 'the host client still works after app.close()')
  t.ok((await db.listCollections().toArray()).some((c) => c.name === 'pulse_projects'), 'pulse-proxy created its collections in the host db')
})

function openSockets (): number {
  return process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap').length
}

// Closed sockets are released a few loop turns later: wait (bounded) for the count wanted.
async function socketsSettleAt (wanted: (n: number) => boolean): Promise<number> {
  for (let i = 0; i < 100 && !wanted(openSockets()); i++) await new Promise((resolve) => setTimeout(resolve, 20))
  return openSockets()
}

t.test('a store opened from a url owns its client and closes it', { skip }, async (t) => {
  const dbName = `pulse_test_${randomBytes(6).toString('hex')}`
  const before = await socketsSettleAt((n) => n === 0)
  const app = Fastify()
  await app.register(pulseProxy, { store: mongoStore({ url: MONGODB_URL as string, dbName }) })
  t.equal((await app.inject({ url: '/v1/health' })).json().data.store, 'mongo')
  t.ok(openSockets() > before, 'the store connected')
  await app.close()
  t.equal(await socketsSettleAt((n) => n === before), before, 'every socket the store opened is closed')
  const cleanup = new MongoClient(MONGODB_URL as string)
  await cleanup.db(dbName).dropDatabase()
  await cleanup.close()
})

t.test('mongoStore refuses bad arguments at once', async (t) => {
  t.throws(() => mongoStore({ url: 'http://localhost:27017' }), /mongodb:\/\/ or mongodb\+srv:\/\//)
  t.throws(() => mongoStore({ db: {} as never }), /needs a mongodb Db instance/)
})
