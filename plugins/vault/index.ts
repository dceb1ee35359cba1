import { randomBytes } from 'node:crypto'
import fp from 'fastify-plugin'
import type { FastifyPluginAsync } from 'fastify'
import { Keyring } from '../../lib/crypto.js'
import { OptionError } from '../../lib/errors.js'
import { resolveOptions } from '../../lib/options.js'
import { VaultOptions } from './options.js'
import './types.js'

export type PulseVaultOptions = Partial<VaultOptions>

const pulseVaultPlugin: FastifyPluginAsync<PulseVaultOptions> = async (app, raw) => {
  const options = resolveOptions(VaultOptions, raw, 'vault')
  const { production } = app.pulse.options
  let keys = options.keys
  if (keys === undefined) {
    if (production) throw new OptionError('option "vault.keys" is required in production')
    app.log.warn('pulse-vault: no vault.keys configured; using a random key for this process only — secrets will not survive a restart')
    keys = [randomBytes(32).toString('base64url')]
  }
  const keyring = new Keyring(keys, { production })
  app.pulse.vault = { keyring }
}

export const pulseVault = fp(pulseVaultPlugin, { name: 'pulse-vault', fastify: '5.x', dependencies: ['pulse-core', 'pulse-auth'] })
