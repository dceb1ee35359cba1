import type { UnpricedModel, UnpricedRepository, UnpricedSighting } from './store.js'

export class MemoryUnpriced implements UnpricedRepository {
  private readonly byProject = new Map<string, Map<string, UnpricedModel>>()
  private readonly maxPerProject: number

  constructor (maxPerProject = 1000) {
    this.maxPerProject = maxPerProject
  }

  async init () {}
  async close () {}

  async record ({ projectId, provider, model, at }: UnpricedSighting) {
    let models = this.byProject.get(projectId)
    if (models === undefined) {
      models = new Map()
      this.byProject.set(projectId, models)
    }
    const key = `${provider}\u0000${model}`
    const found = models.get(key)
    if (found !== undefined) {
      found.count++
      if (at > found.lastSeen) found.lastSeen = at
      if (at < found.firstSeen) found.firstSeen = at
      return
    }
    // Model names come from callers: bound what one project can make us remember.
    if (models.size >= this.maxPerProject) return
    models.set(key, { projectId, provider, model, count: 1, firstSeen: at, lastSeen: at })
  }

  async list (projectId: string, limit: number) {
    const models = [...(this.byProject.get(projectId)?.values() ?? [])]
    return models
      .sort((a, b) => b.lastSeen.getTime() - a.lastSeen.getTime())
      .slice(0, limit)
      .map((m) => ({ ...m }))
  }
}
