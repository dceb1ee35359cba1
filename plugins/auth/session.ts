import { createHash, randomBytes } from 'node:crypto'
import type { Principal } from '../core/types.js'
import { VaultMissingError } from './errors.js'
import type { AuthSessionRecord, AuthSessionsRepository } from './store/store.js'

const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/

/** What BYOK sessions need from pulse-vault's keyring (structural, so auth does not import vault). */
export interface Sealer {
  seal(plaintext: string, aad: string): string
  open(sealed: string, aad: string): { plaintext: string, stale: boolean }
}

/** 32 random bytes, base64url: the cookie value. */
export function generateSessionToken (): string {
  return randomBytes(32).toString('base64url')
}

export function looksLikeSessionToken (token: string): boolean {
  return TOKEN_SHAPE.test(token)
}

/** The record id: a stolen store dump holds no usable cookie. */
export function sessionIdOf (token: string): string {
  return createHash('sha256').update(token).digest('hex')
}

/** Binds a sealed key to its session and provider: copied onto another record, it does not open. */
export function sessionAad (sessionId: string, provider: string): string {
  return `pulse-auth/session/${sessionId}/provider/${provider}`
}

export interface SessionServiceDeps {
  sessions: AuthSessionsRepository
  ttlMs: number
  now: () => Date
  /** Looked up on use: pulse-vault registers after pulse-auth. */
  sealer: () => Sealer | undefined
  onBackgroundError?: (err: unknown) => void
}

export type SessionService = ReturnType<typeof createSessionService>

export function createSessionService (deps: SessionServiceDeps) {
  const { sessions, ttlMs, now } = deps

  function sealer (): Sealer {
    const s = deps.sealer()
    if (s === undefined) throw new VaultMissingError()
    return s
  }

  return {
    /** A new session for a principal holding one provider key; the token goes in the cookie, only its hash is stored. */
    async open (principal: Principal, provider: string, apiKey: string) {
      if (principal.via === 'session') throw new Error('a session cannot open another session')
      const keyring = sealer()
      const token = generateSessionToken()
      const id = sessionIdOf(token)
      const createdAt = now()
      const session: AuthSessionRecord = {
        id,
        projectId: principal.projectId,
        ...(principal.userId !== undefined ? { userId: principal.userId } : {}),
        ...(principal.keyId !== undefined ? { keyId: principal.keyId } : {}),
        createdVia: principal.via,
        keys: { [provider]: keyring.seal(apiKey, sessionAad(id, provider)) },
        createdAt,
        expiresAt: new Date(createdAt.getTime() + ttlMs)
      }
      await sessions.create(session)
      return { token, session }
    },

    /** The live session a cookie token names, or null (unknown, malformed or expired). */
    async resolve (token: string) {
      if (!looksLikeSessionToken(token)) return null
      return sessions.get(sessionIdOf(token), now())
    },

    /** Add or replace a provider key in a live session; null when it has ended meanwhile. */
    async setKey (session: AuthSessionRecord, provider: string, apiKey: string) {
      const sealed = sealer().seal(apiKey, sessionAad(session.id, provider))
      if (!await sessions.setKey(session.id, provider, sealed, now())) return null
      return { ...session, keys: { ...session.keys, [provider]: sealed } }
    },

    /** The decrypted provider key of a session, or null when it holds none for that provider. */
    async providerKey (session: AuthSessionRecord, provider: string): Promise<string | null> {
      const sealed = Object.hasOwn(session.keys, provider) ? session.keys[provider] : undefined
      if (sealed === undefined) return null
      const keyring = sealer()
      const aad = sessionAad(session.id, provider)
      const { plaintext, stale } = keyring.open(sealed, aad)
      if (stale) {
        // Sealed under a previous vault key: move it to the active one, off the request path.
        sessions.setKey(session.id, provider, keyring.seal(plaintext, aad), now()).catch((err) => deps.onBackgroundError?.(err))
      }
      return plaintext
    },

    end (session: AuthSessionRecord) {
      return sessions.delete(session.id)
    }
  }
}
