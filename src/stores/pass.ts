import { access } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { UsageError, describe, refuseOlder } from '../util/errors.js';
import { deliverToHelper, findProgram, helperEnv } from '../util/helper-process.js';
import type { AccessCredential, SecretStore, StoreBackend, StoreContext, TokenMetadata } from './types.js';

interface PassOptions {
  prefix: string;
}

function parse(rest: string): PassOptions {
  const prefix = rest.replace(/^\/+|\/+$/g, '');
  if (!prefix || prefix.split('/').includes('..')) throw new UsageError('--store pass needs a folder in the password store: pass:<prefix>');
  return { prefix };
}

/**
 * `pass`, the standard Unix password manager: `pass insert -m -f <prefix>/<username>` with the
 * token on standard input. PASSWORD_STORE_DIR and GNUPGHOME are honoured as pass itself does.
 */
class PassStore implements SecretStore {
  readonly description: string;

  constructor(
    private readonly options: PassOptions,
    private readonly program: string,
    private readonly context: StoreContext,
  ) {
    this.description = `pass:${options.prefix}`;
  }

  async get(): Promise<string | null> {
    return null;
  }

  /** The order time the entry keeps on its metadata line; null when there is no entry (or no line). */
  private async heldOrderTime(entry: string): Promise<string | null> {
    const options = { env: helperEnv(this.context.secrets), timeoutMs: this.context.helperTimeoutMs, signal: this.context.signal };
    try {
      // What pass shows holds the token on its first line: only the metadata line is read.
      const { stdout } = await deliverToHelper(`pass show ${entry}`, this.program, ['show', entry], '', options);
      return /^order-time: (\S+)$/m.exec(stdout)?.[1] ?? null;
    } catch (err) {
      if (/is not in the password store/.test(describe(err))) return null;
      throw err;
    }
  }

  /**
   * The token on the first line (what `pass show … | head -n1` and `pass -c` give), then pass's
   * usual `key: value` lines: the email's order time, so that an older token is never written
   * over a newer one, and the fingerprint.
   */
  /** The access token on the first line, then its instance URL, issue and expiry times. */
  async setAccessToken(username: string, credential: AccessCredential): Promise<void> {
    const entry = `${this.options.prefix}/${username}`;
    refuseOlder(this.description, await this.heldOrderTime(entry), credential.issuedAt);
    const body = `${credential.accessToken}\ninstance-url: ${credential.instanceUrl}\norder-time: ${credential.issuedAt}\nexpires-at: ${credential.expiresAt}\nfingerprint: ${credential.fingerprint}`;
    await deliverToHelper(`pass insert ${entry}`, this.program, ['insert', '--multiline', '--force', entry], body, {
      env: helperEnv(this.context.secrets),
      timeoutMs: this.context.helperTimeoutMs,
      signal: this.context.signal,
    });
  }

  async set(username: string, token: string, meta: TokenMetadata): Promise<void> {
    const entry = `${this.options.prefix}/${username}`;
    refuseOlder(this.description, await this.heldOrderTime(entry), meta.orderTime);
    await deliverToHelper(`pass insert ${entry}`, this.program, ['insert', '--multiline', '--force', entry], `${token}\norder-time: ${meta.orderTime}\nfingerprint: ${meta.fingerprint}`, {
      env: helperEnv(this.context.secrets),
      timeoutMs: this.context.helperTimeoutMs,
      signal: this.context.signal,
    });
  }
}

export const passBackend: StoreBackend<PassOptions> = {
  scheme: 'pass',
  usage: 'pass:<prefix>',
  parse,
  files: () => [],
  async open(options, context) {
    const program = await findProgram('pass');
    if (!program) throw new UsageError('--store pass: the pass program is not installed (Debian: apt-get install pass)');
    const dir = process.env.PASSWORD_STORE_DIR || join(homedir(), '.password-store');
    await access(join(dir, '.gpg-id')).catch(() => {
      throw new UsageError(`--store pass: no password store in ${dir}; run pass init <gpg-id> first (or set PASSWORD_STORE_DIR)`);
    });
    return new PassStore(options, program, context);
  },
};
