import { appendFileSync } from 'node:fs'
import { randomBytes } from 'node:crypto'
import { MongoClient } from 'mongodb'
import type { Test } from 'tap'
import { memoryStore, mongoStore } from '../../lib/store/index.js'
import type { PulseStore } from '../../lib/store/types.js'

export const MONGODB_URL = process.env.MONGODB_URL
export const MONGO_SKIP = 'MONGODB_URL is not set: Mongo-backed store tests skipped (see README › Testing against MongoDB)'

export interface Backend {
  name: 'memory' | 'mongo'
  /**
   * A fresh store on a fresh database. Calling it again with the same `reuse` key gives a new
   * store over the same data (a "restart").
   */
  makeStore(reuse?: string): PulseStore
}

// CI prints this count, so a Mongo run that silently ran nothing shows.
function countMongoTest (name: string) {
  const file = process.env.PULSE_MONGO_TEST_LOG
  if (file) appendFileSync(file, `${name}\n`)
}

/**
 * Run `cases` once per store backend: memory always, Mongo when MONGODB_URL is set (else a
 * skipped subtest with the reason). Each Mongo run uses its own database, dropped afterwards.
 */
export function eachBackend (t: Test, cases: (t: Test, backend: Backend) => Promise<void>) {
  t.test('memory', async (t) => {
    await cases(t, { name: 'memory', makeStore: () => memoryStore() })
  })

  t.test('mongo', { skip: MONGODB_URL === undefined ? MONGO_SKIP : false }, async (t) => {
    const url = MONGODB_URL as string
    const dbs = new Map<string, string>()
    const dbNameFor = (reuse?: string) => {
      if (reuse === undefined) return `pulse_test_${randomBytes(6).toString('hex')}`
      let name = dbs.get(reuse)
      if (name === undefined) {
        name = `pulse_test_${randomBytes(6).toString('hex')}`
        dbs.set(reuse, name)
      }
      return name
    }
    const created: string[] = []
    t.teardown(async () => {
      const client = new MongoClient(url)
      try {
        for (const name of new Set(created)) await client.db(name).dropDatabase()
      } finally {
        await client.close()
      }
    })
    t.afterEach((t) => { countMongoTest(t.fullname) })
    await cases(t, {
      name: 'mongo',
      makeStore: (reuse) => {
        const dbName = dbNameFor(reuse)
        created.push(dbName)
        return mongoStore({ url, dbName })
      }
    })
  })
}
