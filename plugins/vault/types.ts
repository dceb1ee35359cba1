import type { VaultService } from './service.js'

/** `app.pulse.vault`: the secrets service, and the keyring other plugins seal their records with. */
export type Vault = VaultService

declare module '../core/types.js' {
  interface PulseNamespace {
    vault: Vault
  }
}
