import { access } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { UsageError } from '../util/errors.js';
import { deliverToHelper, findProgram, helperEnv } from '../util/helper-process.js';
import type { SecretStore, StoreBackend, StoreContext } from './types.js';

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

  async set(username: string, token: string): Promise<void> {
    const entry = `${this.options.prefix}/${username}`;
    await deliverToHelper(`pass insert ${entry}`, this.program, ['insert', '--multiline', '--force', entry], token, {
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
