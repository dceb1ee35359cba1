import t from 'tap'
import { bucketIndex, bucketValue, nearestRank, percentiles, RELATIVE_ERROR, type Histogram } from '../../plugins/analytics/histogram.js'

t.test('every latency ≥ 1 ms is reported within the stated relative error', async (t) => {
  let worst = 0
  for (let x = 1; x < 3_600_000; x *= 1.0037) {
    const err = Math.abs(bucketValue(bucketIndex(x)) - x) / x
    worst = Math.max(worst, err)
  }
  t.ok(worst <= RELATIVE_ERROR + 1e-12, `worst relative error ${worst}`)
  t.ok(Math.abs(bucketValue(bucketIndex(0)) - 0) <= 1, 'below 1 ms: absolute error ≤ 1 ms')
})

t.test('nearest-rank percentiles from a histogram', async (t) => {
  const values = Array.from({ length: 1000 }, (_, i) => 1 + i * 3.7)
  const hist: Histogram = {}
  for (const v of values) { const k = `b${bucketIndex(v)}`; hist[k] = (hist[k] ?? 0) + 1 }
  const [p50, p95, p99, p100] = percentiles(hist, [0.5, 0.95, 0.99, 1])
  for (const [p, got] of [[0.5, p50], [0.95, p95], [0.99, p99], [1, p100]] as const) {
    const want = values[nearestRank(p, values.length) - 1]!
    t.ok(Math.abs(got! - want) <= RELATIVE_ERROR * want, `p${p * 100}: ${got} vs ${want}`)
  }
  t.same(percentiles({}, [0.5]), [null])
  t.equal(nearestRank(0.95, 100), 95, 'no floating-point off-by-one')
})
