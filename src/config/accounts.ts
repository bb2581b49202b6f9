import { UsageError } from '../util/errors.js';
import { scrypt, scryptSync } from 'node:crypto';
import { fingerprint, type Fingerprint } from '../util/fingerprint.js';
import { isLoopback } from '../util/loopback.js';
import { parseDestination, type Destination } from '../stores/index.js';
import type { Redactor } from '../util/redact.js';
import { unknownKey } from './file.js';
import { resolveSecret } from './secrets.js';
import { authOf } from './issued-accounts.js';

/** A Salesforce user the tool may act for, with what it needs for one test login. */
export interface Account {
  username: string;
  password: string;
  loginUrl: string;
  apiVersion: string;
  /** With a connected app configured, the OAuth 2.0 username-password flow replaces SOAP login(). */
  oauth: { clientId: string; clientSecret: string } | null;
  /** This user's own destinations (config file `stores`); null: the global --store ones. */
  destinations: Destination[] | null;
}

interface AccountDefaults {
  loginUrl: string;
  apiVersion: string;
}

const ACCOUNT_KEYS = ['username', 'auth', 'password', 'loginUrl', 'apiVersion', 'clientId', 'clientSecret', 'stores'];

function destinations(value: unknown, origin: string): Destination[] | null {
  if (value === undefined) return null;
  if (!Array.isArray(value) || value.length === 0 || !value.every((v): v is string => typeof v === 'string' && v !== '')) {
    throw new UsageError(`${origin}: stores must be a list of destinations such as ["dotenv:/srv/etl/.env?var=SF_TOKEN"]`);
  }
  return value.map((spec) => parseDestination(spec));
}

function checkLoginUrl(url: string, origin: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError(`${origin}: "${url}" is not a URL`);
  }
  // The login sends password + token: plain http only to this machine (a test stand-in, a tunnel).
  if (parsed.protocol !== 'https:' && !(parsed.protocol === 'http:' && isLoopback(parsed.hostname))) {
    throw new UsageError(`${origin}: the login URL must be https (http only for a loopback host)`);
  }
  return parsed.origin;
}

function checkApiVersion(v: unknown, origin: string): string {
  const s = String(v);
  if (!/^\d{2,3}\.0$/.test(s)) throw new UsageError(`${origin}: API version must look like 64.0, got "${s}"`);
  return s;
}

/**
 * Accounts from the config file's `accounts` list and from SFTOKEN_SF_USERNAME/PASSWORD (which
 * wins for the same username). Passwords are read here, once, and registered for redaction.
 */
export async function loadAccounts(fileAccounts: unknown, env: NodeJS.ProcessEnv, defaults: AccountDefaults, secrets: Redactor, filePath = 'config file'): Promise<Account[]> {
  const accounts = new Map<string, Account>();
  if (fileAccounts !== undefined) {
    if (!Array.isArray(fileAccounts)) throw new UsageError(`${filePath}: accounts must be a list`);
    const list: unknown[] = fileAccounts;
    for (const [i, raw] of list.entries()) {
      const origin = `${filePath}: accounts[${i}]`;
      if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new UsageError(`${origin} must be an object`);
      const a: Record<string, unknown> = { ...raw };
      // Accounts whose access tokens sftoken issues are read by loadIssuedAccounts.
      if (authOf(a, origin) !== 'password') continue;
      for (const key of Object.keys(a)) if (!ACCOUNT_KEYS.includes(key)) throw unknownKey(origin, key, ACCOUNT_KEYS);
      if (typeof a.username !== 'string' || !a.username.includes('@')) throw new UsageError(`${origin}: username is required`);
      const username = a.username.toLowerCase();
      if ((a.clientId === undefined) !== (a.clientSecret === undefined)) throw new UsageError(`${origin}: clientId and clientSecret go together`);
      accounts.set(username, {
        username,
        password: await resolveSecret(a.password, `${origin}.password`, env, secrets),
        loginUrl: checkLoginUrl(typeof a.loginUrl === 'string' ? a.loginUrl : defaults.loginUrl, `${origin}.loginUrl`),
        apiVersion: checkApiVersion(a.apiVersion ?? defaults.apiVersion, `${origin}.apiVersion`),
        oauth: typeof a.clientId === 'string' ? { clientId: a.clientId, clientSecret: await resolveSecret(a.clientSecret, `${origin}.clientSecret`, env, secrets) } : null,
        destinations: destinations(a.stores, `${origin}.stores`),
      });
    }
  }
  const envUser = env.SFTOKEN_SF_USERNAME;
  if (envUser) {
    const password = await resolveSecret({ env: 'SFTOKEN_SF_PASSWORD' }, 'SFTOKEN_SF_USERNAME is set, so SFTOKEN_SF_PASSWORD', env, secrets);
    const clientId = env.SFTOKEN_SF_CLIENT_ID;
    const username = envUser.toLowerCase();
    accounts.set(username, {
      username,
      password,
      loginUrl: checkLoginUrl(defaults.loginUrl, '--login-url'),
      apiVersion: checkApiVersion(defaults.apiVersion, '--api-version'),
      oauth: clientId ? { clientId, clientSecret: await resolveSecret({ env: 'SFTOKEN_SF_CLIENT_SECRET' }, 'SFTOKEN_SF_CLIENT_ID is set, so SFTOKEN_SF_CLIENT_SECRET', env, secrets) } : null,
      destinations: accounts.get(username)?.destinations ?? null,
    });
  }
  return [...accounts.values()];
}

/** An account as `status` names it: no secret is read for it. */
export type AccountOutline = Pick<Account, 'username' | 'apiVersion' | 'oauth'>;

/**
 * The configured accounts without their secrets, for `status`, which reads no password. A list
 * that does not parse is left to the commands that use it to report.
 */
export function accountOutlines(fileAccounts: unknown, env: NodeJS.ProcessEnv, apiVersion: string): AccountOutline[] {
  const outlines = new Map<string, AccountOutline>();
  const list: unknown[] = Array.isArray(fileAccounts) ? fileAccounts : [];
  for (const raw of list) {
    if (raw === null || typeof raw !== 'object') continue;
    const a: Record<string, unknown> = { ...raw };
    if (typeof a.username !== 'string' || (a.auth !== undefined && a.auth !== 'password')) continue;
    const version = typeof a.apiVersion === 'string' || typeof a.apiVersion === 'number' ? String(a.apiVersion) : apiVersion;
    outlines.set(a.username.toLowerCase(), { username: a.username.toLowerCase(), apiVersion: version, oauth: typeof a.clientId === 'string' ? { clientId: a.clientId, clientSecret: '' } : null });
  }
  if (env.SFTOKEN_SF_USERNAME) {
    const username = env.SFTOKEN_SF_USERNAME.toLowerCase();
    outlines.set(username, { username, apiVersion, oauth: env.SFTOKEN_SF_CLIENT_ID ? { clientId: env.SFTOKEN_SF_CLIENT_ID, clientSecret: '' } : null });
  }
  return [...outlines.values()];
}

// scrypt, not a plain hash: this value lands in the state file, and a fast hash of a password
// would let whoever reads that file test password guesses offline at billions a second.
const CREDENTIAL_KDF = { N: 1 << 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 } as const;
const credentialCache = new WeakMap<Account, Fingerprint>();

/**
 * Identifies the credential a token was tried with, so that a rejection remembered under one
 * password does not condemn the token for ever once the admin fixes a stale password.
 */
export function credentialFingerprint(account: Account): Fingerprint {
  const cached = credentialCache.get(account);
  if (cached) return cached;
  const salt = `sftoken-credential\u0000${account.username}\u0000${account.loginUrl}`;
  const derived = scryptSync(account.password, salt, 32, CREDENTIAL_KDF).toString('hex');
  const fp = fingerprint(derived);
  credentialCache.set(account, fp);
  return fp;
}

/**
 * Every account's credential in one value, for the watcher's mailbox marks: when any of them
 * changes, the token emails left in the mailbox are looked at again. One derivation for them
 * all, off the event loop: one per account would block a team's watcher for 90 ms an account
 * before it watched anything. Guessing one password from it needs every other one too.
 */
export async function credentialsFingerprint(accounts: readonly Account[]): Promise<Fingerprint> {
  const each = accounts.map((a) => [a.username, a.loginUrl, a.password]).sort((x, y) => (x[0] ?? '').localeCompare(y[0] ?? ''));
  const derived = await new Promise<Buffer>((resolve, reject) => scrypt(JSON.stringify(each), 'sftoken-credentials', 32, CREDENTIAL_KDF, (err, key) => (err ? reject(err) : resolve(key))));
  return fingerprint(derived.toString('hex'));
}
