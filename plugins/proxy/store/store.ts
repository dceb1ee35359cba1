import type { Repository } from '../../../lib/store/types.js'

/** One model the proxy used without a known price, per project: what operators must price. */
export interface UnpricedModel {
  projectId: string
  provider: string
  model: string
  /** Calls that used it since it was first seen. */
  count: number
  firstSeen: Date
  lastSeen: Date
}

export interface UnpricedSighting {
  projectId: string
  provider: string
  model: string
  at: Date
}

export interface UnpricedRepository extends Repository {
  /** Count one more call of an unpriced model (creating its entry). */
  record(sighting: UnpricedSighting): Promise<void>
  /** A project's unpriced models, most recently seen first. */
  list(projectId: string, limit: number): Promise<UnpricedModel[]>
}
