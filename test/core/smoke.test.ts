import t from 'tap'
import { bearer, build, createProject } from '../helpers/app.js'

t.test('a project key authenticates; a wrong one gets the envelope', async (t) => {
  const { app } = await build(t)
  const { projectId, apiKey } = await createProject(app)
  const me = await app.inject({ url: '/v1/me', headers: bearer(apiKey) })
  t.equal(me.statusCode, 200)
  t.equal(me.json().data.projectId, projectId)
  const bad = await app.inject({ url: '/v1/me', headers: bearer('pulse_sk_' + 'x'.repeat(43)) })
  t.equal(bad.statusCode, 401)
  t.equal(bad.json().error.code, 'PULSE_UNAUTHORIZED')
})
