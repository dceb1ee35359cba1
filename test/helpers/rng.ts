/** A small deterministic PRNG, so a failing property test names a seed that reproduces it. */
export function rng (seed: number): () => number {
  let s = seed >>> 0
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0
    return s / 2 ** 32
  }
}
