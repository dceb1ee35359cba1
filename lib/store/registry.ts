import type { Repository, RepositoryContext, StoreLogger } from './types.js'

const silent: StoreLogger = { warn () {}, info () {} }

/** The part both backends share: one repository per name, initialised once, closed in reverse. */
export class RepositoryRegistry {
  private readonly repos = new Map<string, Promise<Repository>>()
  readonly context: RepositoryContext = { log: silent, now: () => new Date() }

  setLogger (log: StoreLogger | undefined) {
    if (log !== undefined) this.context.log = log
  }

  get<R extends Repository> (name: string, build: () => R): Promise<R> {
    let repo = this.repos.get(name)
    if (repo === undefined) {
      const created = build()
      repo = created.init().then(() => created)
      this.repos.set(name, repo)
      // A failed init must not poison the name for the next attempt.
      repo.catch(() => this.repos.delete(name))
    }
    return repo as Promise<R>
  }

  async closeAll () {
    const repos = [...this.repos.values()].reverse()
    this.repos.clear()
    for (const pending of repos) {
      const repo = await pending.catch(() => undefined)
      await repo?.close()
    }
  }
}
