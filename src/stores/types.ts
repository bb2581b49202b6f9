import type { Fingerprint } from '../util/fingerprint.js';

/** What a store keeps beside the token, for whoever reads it back. */
export interface TokenMetadata {
  fingerprint: Fingerprint;
  emailDate: string;
}

/**
 * Where verified tokens go. Each back end implements this and nothing outside stores/ knows
 * which one is in use. Errors a retry may cure are thrown as TransientError; a store that cannot
 * work at all (missing library, corrupt file) throws a UsageError, in `open` where it can.
 */
export interface SecretStore {
  /** For logs and output: where the token went, never what it is. */
  readonly description: string;
  get(username: string): Promise<string | null>;
  set(username: string, token: string, meta: TokenMetadata): Promise<void>;
}

/**
 * One kind of destination: how its `<scheme>:<rest>` spec reads into its own typed options, and
 * how those open a store. `usage` is what --help and error messages show.
 */
export interface StoreBackend<Options> {
  readonly scheme: string;
  readonly usage: string;
  parse(rest: string): Options;
  /** The files it writes, so that two destinations (or one and the state file) never share one. */
  files(options: Options): string[];
  /** Opens the store and proves it can be written, so that a typo fails before any login. */
  open(options: Options): Promise<SecretStore>;
}
