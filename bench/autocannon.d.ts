// The subset of autocannon's API the proxy benchmark uses (the package ships no types).
declare module 'autocannon' {
  interface Stats { average: number, p50: number, p99: number }
  interface Result { requests: Stats, latency: Stats, non2xx: number, errors: number, timeouts: number }
  interface Options {
    url: string
    method?: string
    headers?: Record<string, string>
    body?: string
    connections?: number
    duration?: number
    overallRate?: number
  }
  function autocannon (options: Options): Promise<Result>
  export default autocannon
}
