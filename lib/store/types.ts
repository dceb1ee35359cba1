import type { Db } from 'mongodb'

/** What a plugin's repository must offer the store: idempotent set-up and release. */
export interface Repository {
  /** Create indexes (Mongo) or timers; safe to call more than once. */
  init(): Promise<void>
  close(): Promise<void>
}

/** How a plugin builds one repository on each backend; the store picks the one it is. */
export interface RepositoryFactories<R extends Repository> {
  memory: (ctx: RepositoryContext) => R
  mongo: (db: Db, ctx: RepositoryContext) => R
}

export interface StoreLogger {
  warn(obj: object, msg?: string): void
  info(obj: object, msg?: string): void
}

export interface RepositoryContext {
  log: StoreLogger
  /** Clock, overridable in tests. */
  now: () => Date
}

export interface PulseStore {
  readonly kind: 'memory' | 'mongo'
  /** Connect (when the store owns its client). Idempotent. */
  open(opts?: { log?: StoreLogger }): Promise<void>
  /**
   * The repository registered under `name`, built from `factories` and initialised on first
   * use; later calls (from any plugin) get the same instance, so plugins can share data.
   */
  repository<R extends Repository>(name: string, factories: RepositoryFactories<R>): Promise<R>
  /** Throws when the backend cannot answer. */
  ping(): Promise<void>
  /** Close every repository, then the client if this store opened it. Idempotent. */
  close(): Promise<void>
}
