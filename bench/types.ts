/** One benchmark module: `bench/run.ts` runs each in turn and writes their sections to RESULTS.md. */
export interface BenchContext {
  /** Set when MONGODB_URL is: Mongo variants run too. */
  mongodbUrl?: string
  log(line: string): void
}

export interface BenchSection {
  title: string
  /** Markdown body: how it was measured, then the figures. */
  markdown: string
  /** Targets met? Listed in the summary; a miss is reported, not thrown. */
  checks: Array<{ name: string, ok: boolean, detail: string }>
}

export interface BenchModule {
  name: string
  run(ctx: BenchContext): Promise<BenchSection>
}
