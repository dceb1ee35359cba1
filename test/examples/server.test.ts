import t, { type Test } from 'tap'
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process'
import { connect } from 'node:net'
import { once } from 'node:events'
import { request } from 'undici'

function startServer (t: Test, env: Record<string, string> = {}) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'examples/server.ts'], {
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', NODE_ENV: 'development', MONGODB_URL: '', PULSE_ADMIN_KEY: '', ...env },
    stdio: ['pipe', 'pipe', 'pipe']
  }) as ChildProcessWithoutNullStreams
  let output = ''
  child.stdout.on('data', (chunk: Buffer) => { output += chunk.toString() })
  child.stderr.on('data', (chunk: Buffer) => { output += chunk.toString() })
  t.teardown(() => { if (child.exitCode === null) child.kill('SIGKILL') })
  const exited = once(child, 'exit') as Promise<[number | null, string | null]>
  const listening = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${output}`)), 30_000)
    child.stdout.on('data', () => {
      const match = /pulse-proxy listening on (http:\/\/[\d.]+:\d+)\/v1 \(store: (\w+)\)/.exec(output)
      if (match) {
        clearTimeout(timer)
        resolve(match[1] as string)
      }
    })
  })
  return { child, listening, exited, output: () => output }
}

t.test('npm start: listens, serves /v1/health on the memory store, prints generated keys once', async (t) => {
  const server = startServer(t)
  const base = await server.listening
  const res = await request(`${base}/v1/health`)
  t.equal(res.statusCode, 200)
  t.same(await res.body.json(), { ok: true, data: { status: 'ok', service: 'pulse', store: 'memory' } })
  const generated = server.output().match(/generated PULSE_ADMIN_KEY=(\S+)/g) ?? []
  t.equal(generated.length, 1, 'the generated admin key is printed once')
  const adminKey = generated[0]!.split('=')[1]!
  const logLines = server.output().split('\n').filter((l) => l.startsWith('{'))
  t.notOk(logLines.some((l) => l.includes(adminKey)), 'and never logged')

  const created = await request(`${base}/v1/projects`, {
    method: 'POST', headers: { 'x-admin-key': adminKey, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'demo' })
  })
  t.equal(created.statusCode, 201, 'the printed admin key works')
  await created.body.dump()
  server.child.kill('SIGTERM')
  const [code] = await server.exited
  t.equal(code, 0)
})

t.test('SIGTERM lets an in-flight request finish, then exits 0', async (t) => {
  const server = startServer(t, { PULSE_ADMIN_KEY: 'an-admin-key-for-the-shutdown-test' })
  const base = new URL(await server.listening)
  const body = JSON.stringify({ name: 'in flight' })

  // Send the headers and half the body, signal, then the rest: the request is in flight.
  const socket = connect(Number(base.port), base.hostname)
  await once(socket, 'connect')
  let response = ''
  socket.on('data', (chunk: Buffer) => { response += chunk.toString() })
  socket.write(`POST /v1/projects HTTP/1.1\r\nHost: ${base.host}\r\nContent-Type: application/json\r\n` +
    `x-admin-key: an-admin-key-for-the-shutdown-test\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n` +
    body.slice(0, 10))
  // Signal once the server has logged the request's arrival, and finish the body only after it
  // says it is shutting down: the request is in flight across the shutdown.
  const waitFor = async (pattern: RegExp) => {
    for (let i = 0; i < 400 && !pattern.test(server.output()); i++) await new Promise((resolve) => setTimeout(resolve, 25))
  }
  await waitFor(/"url":"\/v1\/projects".*"msg":"incoming request"/)
  server.child.kill('SIGTERM')
  await waitFor(/shutting down/)
  t.match(server.output(), /shutting down/, 'the server began shutting down with the request half sent')
  socket.end(body.slice(10))
  await once(socket, 'close')

  t.match(response, /^HTTP\/1\.1 201 /, 'the in-flight request got its answer')
  t.match(response, /"name":"in flight"/)
  const [code] = await server.exited
  t.equal(code, 0, 'then the process exited cleanly')
  t.match(server.output(), /shutting down/)
})
