import type { Keyring } from '../../lib/crypto.js'

/** `app.pulse.vault`. */
export interface Vault {
  /** Seal/open for records other plugins keep encrypted (e.g. BYOK sessions). */
  keyring: Keyring
}

declare module '../core/types.js' {
  interface PulseNamespace {
    vault: Vault
  }
}
