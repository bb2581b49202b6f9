import { UsageError } from '../util/errors.js';
import { deliverToHelper, findProgram, helperEnv } from '../util/helper-process.js';
import type { SecretStore, StoreBackend, StoreContext, TokenMetadata, AccessCredential } from './types.js';

interface ExecOptions {
  program: string;
  args: string[];
}

/** Splits `program arg 'arg with spaces'` as a shell would for plain words and quotes, no more. */
function words(text: string): string[] {
  const out: string[] = [];
  const pattern = /'([^']*)'|"([^"]*)"|(\S+)/g;
  for (let m = pattern.exec(text); m; m = pattern.exec(text)) out.push(m[1] ?? m[2] ?? m[3] ?? '');
  return out;
}

function parse(rest: string): ExecOptions {
  const [program, ...args] = words(rest);
  if (!program) throw new UsageError('--store exec needs a program: exec:<program> [args…]');
  return { program, args };
}

/**
 * Anything with a command line or an API (kubectl, vault, aws, an ETL tool's CLI): the program
 * runs without a shell, gets the token alone on standard input and who and which token in its
 * environment, never the token in its arguments. Exit 0 means delivered; anything else, or
 * running past the time limit, is a failure to retry. What it says on stderr goes to the log.
 */
class ExecStore implements SecretStore {
  readonly description: string;

  constructor(
    private readonly options: ExecOptions,
    private readonly path: string,
    private readonly context: StoreContext,
  ) {
    this.description = `exec:${options.program}`;
  }

  async get(): Promise<string | null> {
    return null;
  }

  async set(username: string, token: string, meta: TokenMetadata): Promise<void> {
    const env = helperEnv(this.context.secrets, {
      SFTOKEN_USERNAME: username,
      SFTOKEN_FINGERPRINT: meta.fingerprint,
      SFTOKEN_KIND: 'security-token',
      SFTOKEN_EMAIL_DATE: meta.emailDate,
      SFTOKEN_ORDER_TIME: meta.orderTime,
      SFTOKEN_VERIFIED: String(meta.verified),
    });
    await this.run(token, env);
  }

  /** An access token alone on stdin; what it is for in the environment (SFTOKEN_KIND tells the two apart). */
  async setAccessToken(username: string, credential: AccessCredential): Promise<void> {
    const env = helperEnv(this.context.secrets, {
      SFTOKEN_KIND: 'access-token',
      SFTOKEN_USERNAME: username,
      SFTOKEN_FINGERPRINT: credential.fingerprint,
      SFTOKEN_INSTANCE_URL: credential.instanceUrl,
      SFTOKEN_ISSUED_AT: credential.issuedAt,
      SFTOKEN_EXPIRES_AT: credential.expiresAt,
    });
    await this.run(credential.accessToken, env);
  }

  private async run(secret: string, env: NodeJS.ProcessEnv): Promise<void> {
    const result = await deliverToHelper(this.description, this.path, this.options.args, secret, { env, timeoutMs: this.context.helperTimeoutMs, signal: this.context.signal });
    for (const line of result.stderr.split('\n').filter((l) => l.trim())) this.context.warn('destination program says', { store: this.description, line });
  }
}

export const execBackend: StoreBackend<ExecOptions> = {
  scheme: 'exec',
  usage: 'exec:<program> [args…]',
  parse,
  files: () => [],
  async open(options, context) {
    const path = await findProgram(options.program);
    if (!path) throw new UsageError(`--store exec: program ${options.program} not found (or not executable)`);
    return new ExecStore(options, path, context);
  },
};
