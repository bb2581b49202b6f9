import type { Redactor } from '../util/redact.js';
import type { Fingerprint } from '../util/fingerprint.js';

/** What a store keeps beside the token, for whoever reads it back. */
export interface TokenMetadata {
  fingerprint: Fingerprint;
  emailDate: string;
  /**
   * The token's order time (mail/order-time.ts). A destination that can keep it refuses a token
   * ordered before the one it holds (NewerHeld): destinations never go back in time.
   */
  orderTime: string;
  /** Whether a test login proved the token (false with --no-verify), for whoever reads it. */
  verified: boolean;
}

/**
 * An access token sftoken issued (jwt, client-credentials accounts), with what an integration
 * needs beside it. The token is a secret; the rest is not.
 */
export interface AccessCredential {
  accessToken: string;
  instanceUrl: string;
  /** When Salesforce issued it: what orders access tokens (a destination refuses an older one). */
  issuedAt: string;
  /** When it is taken to lapse: issued at plus the org's session timeout. */
  expiresAt: string;
  fingerprint: Fingerprint;
}

/** What a store may need from the run besides its own options. */
export interface StoreContext {
  /** The configured Salesforce password of a user, for destinations that store password + token. */
  passwordFor(username: string): string | null;
  /** Users with a password configured: a destination that needs one checks at start. */
  readonly passwordUsers: readonly string[];
  /** Users whose access tokens sftoken issues (they need no password). */
  readonly issuedUsers?: readonly string[];
  /** How long a helper program may take before it counts as failed. */
  readonly helperTimeoutMs: number;
  /** The run's stop: a helper still running is asked to end. */
  readonly signal: AbortSignal;
  /** The run's secrets: kept out of a helper's environment. */
  readonly secrets: Redactor;
  /** Where a helper's own complaints go (its stderr), with secrets redacted. */
  warn(message: string, fields: Record<string, string | number>): void;
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
  /** Writes an access token instead; a destination without it cannot serve issued accounts. */
  setAccessToken?(username: string, credential: AccessCredential): Promise<void>;
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
  /**
   * It holds one token, not one per user (a .env variable, Data Loader's config.properties): it
   * must be bound to exactly one account, or one user's token would overwrite another's.
   */
  holdsOne?(options: Options): boolean;
  /** Opens the store and proves it can be written, so that a typo fails before any login. */
  open(options: Options, context: StoreContext): Promise<SecretStore>;
}
