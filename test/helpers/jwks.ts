import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK, type JWTPayload } from 'jose'
import type { Test } from 'tap'

export interface SigningKey {
  kid: string
  alg: string
  privateKey: CryptoKey
  jwk: JWK
}

export async function signingKey (kid: string, alg = 'RS256'): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true })
  const jwk = { ...await exportJWK(publicKey), kid, alg, use: 'sig' }
  return { kid, alg, privateKey, jwk }
}

export interface TokenOptions {
  iss?: string
  aud?: string
  /** Seconds since epoch. */
  iat?: number
  exp?: number
  nbf?: number
  kid?: string
  alg?: string
}

export async function signToken (key: SigningKey, claims: JWTPayload, o: TokenOptions = {}): Promise<string> {
  const nowSec = Math.floor(Date.now() / 1000)
  const jwt = new SignJWT(claims)
    .setProtectedHeader({ alg: o.alg ?? key.alg, kid: o.kid ?? key.kid })
    .setIssuedAt(o.iat ?? nowSec)
    .setExpirationTime(o.exp ?? nowSec + 600)
  if (o.iss !== undefined) jwt.setIssuer(o.iss)
  if (o.aud !== undefined) jwt.setAudience(o.aud)
  if (o.nbf !== undefined) jwt.setNotBefore(o.nbf)
  return jwt.sign(key.privateKey)
}

/** An unsigned token (`alg: none`), which no allow-list must accept. */
export function unsignedToken (claims: JWTPayload): string {
  const enc = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url')
  return `${enc({ alg: 'none', typ: 'JWT' })}.${enc(claims)}.`
}

/** A JWKS endpoint on 127.0.0.1 whose keys a test can change (rotation) or stop serving. */
export class JwksServer {
  keys: JWK[] = []
  fetches = 0
  /** When set, answers with this status instead of the key set. */
  failWith: number | undefined
  private server: Server | undefined
  url = ''

  static async start (t: Test, keys: SigningKey[] = []): Promise<JwksServer> {
    const s = new JwksServer()
    s.keys = keys.map((k) => k.jwk)
    s.server = createServer((req, res) => {
      s.fetches++
      if (s.failWith !== undefined) {
        res.writeHead(s.failWith).end('unavailable')
        return
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: s.keys }))
    })
    await new Promise<void>((resolve) => s.server!.listen(0, '127.0.0.1', resolve))
    s.url = `http://127.0.0.1:${(s.server.address() as AddressInfo).port}/.well-known/jwks.json`
    t.teardown(() => s.stop())
    return s
  }

  setKeys (keys: SigningKey[]) { this.keys = keys.map((k) => k.jwk) }

  async stop () {
    const server = this.server
    this.server = undefined
    if (server === undefined) return
    server.closeAllConnections()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  }
}
