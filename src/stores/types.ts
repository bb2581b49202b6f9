import type { Fingerprint } from '../util/fingerprint.js';

/** What a store keeps beside the token, for whoever reads it back. */
export interface TokenMetadata {
  fingerprint: Fingerprint;
  emailDate: string;
}

/**
 * Where verified tokens go. Each back end (keychain, file, later Vault …) implements this and
 * nothing outside stores/ knows which one is in use. Errors a retry may cure are thrown as
 * TransientError; a store that cannot work at all fails in its factory with a UsageError.
 */
export interface SecretStore {
  /** For logs and output: where the token went, never what it is. */
  readonly description: string;
  get(username: string): Promise<string | null>;
  set(username: string, token: string, meta: TokenMetadata): Promise<void>;
}
