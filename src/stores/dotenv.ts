import { readFile } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import { editInPlace, tidy, writableFolder } from '../files/atomic-file.js';
import { tokenFileMode } from '../files/safe-path.js';
import { TransientError, UsageError, refuseOlder } from '../util/errors.js';
import type { AccessCredential, SecretStore, StoreBackend, TokenMetadata } from './types.js';
import { heldOrderTime, stampOrder } from './order-marker.js';

interface DotenvOptions {
  path: string;
  variable: string;
  /** The file's mode after a write: 0600, or 0640 (?mode=0640) for a group that reads it. */
  mode: number;
  /** For an access token: the variable that gets the instance URL beside it (?instanceVar=). */
  instanceVar: string | null;
}

const VARIABLE = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** `<path>?var=<NAME>`: the file, and the one variable in it that holds the token. */
function parse(rest: string): DotenvOptions {
  const [path = '', query = ''] = rest.split('?', 2);
  const params = new URLSearchParams(query);
  const variable = params.get('var') ?? '';
  if (!path || !VARIABLE.test(variable)) throw new UsageError('--store dotenv needs a file and a variable: dotenv:<path>?var=<NAME>');
  const instanceVar = params.get('instanceVar');
  if (instanceVar !== null && (!VARIABLE.test(instanceVar) || instanceVar === variable))
    throw new UsageError(`--store dotenv:${path}: instanceVar must be another variable name, such as SF_INSTANCE_URL`);
  return { path: isAbsolute(path) ? path : resolve(path), variable, mode: tokenFileMode(params, `--store dotenv:${path}`), instanceVar };
}

/**
 * The file with NAME set to the token: every line that sets NAME is replaced (keeping its
 * `export ` and its line ending), every other byte stays as it was; a file without NAME gets one
 * line at the end. Single quotes read the same in python-dotenv, Node's dotenv and a shell.
 */
export function setVariable(content: string, variable: string, token: string): string {
  const assignment = new RegExp(`^([ \\t]*)(export[ \\t]+)?${variable}[ \\t]*=`);
  let found = false;
  const lines = content.match(/[^\n]*\n|[^\n]+$/g) ?? [];
  const out = lines.map((line) => {
    const m = assignment.exec(line);
    if (!m) return line;
    found = true;
    const ending = line.endsWith('\r\n') ? '\r\n' : line.endsWith('\n') ? '\n' : '';
    return `${m[1] ?? ''}${m[2] ?? ''}${variable}='${token}'${ending}`;
  });
  if (found) return out.join('');
  const separator = content === '' || content.endsWith('\n') ? '' : content.includes('\r\n') ? '\r\n' : '\n';
  const ending = content.includes('\r\n') ? '\r\n' : '\n';
  return `${content}${separator}${variable}='${token}'${ending}`;
}

class DotenvStore implements SecretStore {
  readonly description: string;

  constructor(private readonly options: DotenvOptions) {
    this.description = `dotenv:${options.path}`;
  }

  /** The access token, and the instance URL where ?instanceVar= names a variable for it. */
  async setAccessToken(_username: string, credential: AccessCredential): Promise<void> {
    // An access token is letters, digits, ! and dots: nothing in one could break out of the quotes.
    if (!/^[A-Za-z0-9!._-]+$/.test(credential.accessToken)) throw new TransientError('refusing to write an access token with unexpected characters');
    if (/['\s]/.test(credential.instanceUrl)) throw new TransientError('refusing to write an instance URL with quotes or spaces');
    const { path, variable, mode, instanceVar } = this.options;
    await editInPlace(
      path,
      (content) => {
        refuseOlder(this.description, heldOrderTime(content, variable), credential.issuedAt);
        const withToken = stampOrder(setVariable(content, variable, credential.accessToken), variable, credential.issuedAt);
        return instanceVar ? setVariable(withToken, instanceVar, credential.instanceUrl) : withToken;
      },
      { mode },
    );
  }

  async get(): Promise<string | null> {
    const text = await readFile(this.options.path, 'utf8').catch(() => '');
    const m = new RegExp(`^[ \\t]*(?:export[ \\t]+)?${this.options.variable}[ \\t]*=[ \\t]*'?([A-Za-z0-9]*)'?[ \\t]*\\r?$`, 'm').exec(text);
    return m?.[1] ?? null;
  }

  async set(_username: string, token: string, meta: TokenMetadata): Promise<void> {
    // Tokens are letters and digits: nothing in one could break out of the quotes.
    if (!/^[A-Za-z0-9]+$/.test(token)) throw new TransientError('refusing to write a token that is not letters and digits');
    const { path, variable, mode } = this.options;
    await editInPlace(
      path,
      (content) => {
        refuseOlder(this.description, heldOrderTime(content, variable), meta.orderTime);
        return stampOrder(setVariable(content, variable, token), variable, meta.orderTime);
      },
      { mode },
    );
  }
}

export const dotenvBackend: StoreBackend<DotenvOptions> = {
  scheme: 'dotenv',
  usage: 'dotenv:<path>?var=<NAME>[&instanceVar=<NAME>][&mode=0640]',
  parse,
  files: ({ path }) => [path],
  holdsOne: () => true,
  async open(options, context) {
    const loose = await writableFolder(options.path, '.env file', options.mode);
    if (loose) context.warn(loose, { store: `dotenv:${options.path}` });
    await tidy(options.path);
    return new DotenvStore(options);
  },
};
