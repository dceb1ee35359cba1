import { randomBytes } from 'node:crypto'
import fp from 'fastify-plugin'
import type { FastifyPluginAsync } from 'fastify'
import { Keyring } from '../../lib/crypto.js'
import { OptionError } from '../../lib/errors.js'
import { resolveOptions } from '../../lib/options.js'
import { registerRoutes } from '../core/register-routes.js'
import { DEFAULT_MAX_VALUE_LENGTH, VaultOptions } from './options.js'
import { vaultRoutes } from './routes.js'
import { createVaultService } from './service.js'
import { secretsRepository } from './store/index.js'
import './types.js'

export type PulseVaultOptions = Partial<VaultOptions>

/**
 * The configured secrets, active first. Unset entries after the first are dropped (an unset
 * `PULSE_ENCRYPTION_KEY_PREV`); an unset first entry with a previous key set is refused, since
 * promoting the previous key to active would be a silent, wrong rotation.
 */
function configuredKeys (keys: Array<string | undefined> | undefined): string[] | undefined {
  if (keys === undefined) return undefined
  const present = (k: string | undefined): k is string => k !== undefined && k !== null && k !== ''
  if (!keys.some(present)) return undefined
  if (!present(keys[0])) throw new OptionError('option "vault.keys[0]" (the active key) is not set, but a previous key is')
  return keys.filter(present)
}

const pulseVaultPlugin: FastifyPluginAsync<PulseVaultOptions> = async (app, raw) => {
  const options = resolveOptions(VaultOptions, raw, 'vault')
  const { production } = app.pulse.options
  let keys = configuredKeys(options.keys)
  if (keys === undefined) {
    if (production) throw new OptionError('option "vault.keys" is required in production')
    app.log.warn('pulse-vault: no vault.keys configured; using a random key for this process only — secrets will not survive a restart')
    keys = [randomBytes(32).toString('base64url')]
  }
  const keyring = new Keyring(keys, { production })
  const maxValueLength = options.maxValueLength ?? DEFAULT_MAX_VALUE_LENGTH

  const vault = createVaultService({
    secrets: await app.pulse.store.repository('secrets', secretsRepository),
    keyring,
    maxValueLength,
    onReencryptError: (err, record) => {
      app.log.warn({ err: { message: (err as Error).message, code: (err as { code?: string }).code }, ...record },
        'pulse-vault: could not re-encrypt a secret under the active key; will retry on its next read')
    }
  })
  app.pulse.vault = vault

  await registerRoutes(app, vaultRoutes(vault, { maxValueLength }))
}

export const pulseVault = fp(pulseVaultPlugin, { name: 'pulse-vault', fastify: '5.x', dependencies: ['pulse-core', 'pulse-auth'] })
