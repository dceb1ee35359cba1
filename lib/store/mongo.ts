import { MongoClient, type Db, type MongoClientOptions } from 'mongodb'
import { OptionError } from '../errors.js'
import { RepositoryRegistry } from './registry.js'
import type { PulseStore } from './types.js'

export type MongoStoreOptions =
  | { db: Db }
  | { url: string, dbName?: string, clientOptions?: MongoClientOptions }

/**
 * MongoDB through the official driver. Pass your own `Db` (pulse-proxy never closes it) or a
 * `url`, in which case the store owns the client and closes it on `close()`.
 */
export function mongoStore (opts: MongoStoreOptions): PulseStore {
  const registry = new RepositoryRegistry()
  let client: MongoClient | undefined
  let db: Db | undefined
  let opening: Promise<Db> | undefined

  if ('db' in opts) {
    if (opts.db === undefined || typeof opts.db.collection !== 'function') {
      throw new OptionError('option "store" mongoStore({ db }) needs a mongodb Db instance')
    }
    db = opts.db
  } else if (typeof opts.url !== 'string' || !/^mongodb(\+srv)?:\/\//.test(opts.url)) {
    throw new OptionError('option "store" mongoStore({ url }) needs a mongodb:// or mongodb+srv:// url')
  }

  function connect (): Promise<Db> {
    if (db !== undefined) return Promise.resolve(db)
    if ('db' in opts) return Promise.resolve(opts.db)
    const { url, dbName, clientOptions } = opts
    opening ??= (async () => {
      const owned = new MongoClient(url, { serverSelectionTimeoutMS: 10_000, ...clientOptions })
      try {
        await owned.connect()
      } catch (err) {
        opening = undefined
        await owned.close().catch(() => {})
        throw err
      }
      client = owned
      db = owned.db(dbName ?? 'pulse')
      return db
    })()
    return opening
  }

  return {
    kind: 'mongo',
    async open (o) {
      registry.setLogger(o?.log)
      await connect()
    },
    async repository (name, factories) {
      const database = await connect()
      return registry.get(name, () => factories.mongo(database, registry.context))
    },
    async ping () {
      await (await connect()).command({ ping: 1 })
    },
    async close () {
      await registry.closeAll()
      const owned = client
      client = undefined
      opening = undefined
      if (owned !== undefined) {
        db = undefined
        await owned.close()
      }
    }
  }
}
