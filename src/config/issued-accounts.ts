import { readFile } from 'node:fs/promises';
import { UsageError, describe } from '../util/errors.js';
import { isLoopback } from '../util/loopback.js';
import { parseDestination, type Destination } from '../stores/index.js';
import type { Redactor } from '../util/redact.js';
import { unknownKey } from './file.js';
import { resolveSecret } from './secrets.js';

/**
 * An account whose credential sftoken issues itself (DESIGN §2, Accounts): an access token from
 * the JWT bearer flow (a private key whose certificate is in an External Client App) or the
 * client-credentials flow (a consumer key and secret, a run-as user), kept fresh in the
 * destinations as a security token is.
 */
export interface IssuedAccount {
  /** The integration user (jwt: the JWT's sub; client credentials: the app's run-as user). */
  username: string;
  grant: { kind: 'jwt'; clientId: string; privateKey: string; certificate: string | null } | { kind: 'client-credentials'; clientId: string; clientSecret: string };
  loginUrl: string;
  /** The org's session timeout: how long an access token is taken to live. */
  sessionTimeoutMs: number;
  /** When a new token is asked for after the last one: half the session timeout unless set. */
  refreshEveryMs: number;
  destinations: Destination[] | null;
}

export type AuthKind = 'password' | 'jwt' | 'client-credentials';
export const AUTH_KINDS: readonly AuthKind[] = ['password', 'jwt', 'client-credentials'];

const COMMON_KEYS = ['username', 'auth', 'loginUrl', 'stores', 'sessionTimeout', 'refreshEvery'];
const JWT_KEYS = [...COMMON_KEYS, 'clientId', 'privateKey', 'certificate'];
const CLIENT_CREDENTIALS_KEYS = [...COMMON_KEYS, 'clientId', 'clientSecret'];
// Salesforce refuses the client-credentials flow on its generic login hosts: only a My Domain URL works.
const GENERIC_LOGIN_HOSTS = ['login.salesforce.com', 'test.salesforce.com'];
const DEFAULT_SESSION_TIMEOUT_S = 2 * 60 * 60;
// Never asked for more often than this: a refresh loop must not become a login flood.
const MIN_REFRESH_S = 60;

/** The kind an account entry names; password when it names none. */
export function authOf(raw: Record<string, unknown>, origin: string): AuthKind {
  if (raw.auth === undefined) return 'password';
  const kind = AUTH_KINDS.find((k) => k === raw.auth);
  if (!kind) throw new UsageError(`${origin}.auth: ${JSON.stringify(raw.auth)} is not one of ${AUTH_KINDS.join(', ')}`);
  return kind;
}

function seconds(value: unknown, origin: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = typeof value === 'number' ? value : Number.NaN;
  if (!Number.isInteger(n) || n < MIN_REFRESH_S) throw new UsageError(`${origin} must be a whole number of seconds, at least ${MIN_REFRESH_S}`);
  return n;
}

function loginUrl(value: unknown, origin: string, kind: AuthKind): string {
  if (typeof value !== 'string') throw new UsageError(`${origin} is required: https://login.salesforce.com, https://test.salesforce.com or your My Domain URL`);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError(`${origin}: "${value}" is not a URL`);
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopback(url.hostname))) throw new UsageError(`${origin}: the login URL must be https (http only for a loopback host)`);
  if (kind === 'client-credentials' && GENERIC_LOGIN_HOSTS.includes(url.hostname)) {
    throw new UsageError(`${origin}: the client-credentials flow needs your My Domain URL (https://<domain>.my.salesforce.com), not ${url.hostname}`);
  }
  return url.origin;
}

async function readCertificate(path: unknown, origin: string): Promise<string | null> {
  if (path === undefined) return null;
  if (typeof path !== 'string') throw new UsageError(`${origin} must be the path of the certificate (PEM)`);
  const pem = await readFile(path, 'utf8').catch((err: unknown) => {
    throw new UsageError(`${origin}: cannot read ${path}: ${describe(err)}`);
  });
  if (!pem.includes('BEGIN CERTIFICATE')) throw new UsageError(`${origin}: ${path} is not a PEM certificate`);
  return path;
}

/** One `auth: jwt` or `auth: client-credentials` entry, its secrets read and registered for redaction. */
export async function loadIssuedAccount(raw: Record<string, unknown>, kind: Exclude<AuthKind, 'password'>, origin: string, env: NodeJS.ProcessEnv, secrets: Redactor): Promise<IssuedAccount> {
  const known = kind === 'jwt' ? JWT_KEYS : CLIENT_CREDENTIALS_KEYS;
  for (const key of Object.keys(raw)) if (!known.includes(key)) throw unknownKey(origin, key, known);
  if (typeof raw.username !== 'string' || !raw.username.includes('@'))
    throw new UsageError(`${origin}: username is required (the integration user${kind === 'client-credentials' ? ": the app's run-as user" : ''})`);
  if (typeof raw.clientId !== 'string' || raw.clientId === '') throw new UsageError(`${origin}: clientId is required (the External Client App's consumer key)`);
  const sessionTimeout = seconds(raw.sessionTimeout, `${origin}.sessionTimeout`, DEFAULT_SESSION_TIMEOUT_S);
  const refreshEvery = seconds(raw.refreshEvery, `${origin}.refreshEvery`, Math.max(MIN_REFRESH_S, Math.floor(sessionTimeout / 2)));
  if (refreshEvery >= sessionTimeout) throw new UsageError(`${origin}.refreshEvery must be shorter than sessionTimeout, or the token would lapse before the next one`);
  let grant: IssuedAccount['grant'];
  if (kind === 'jwt') {
    if (raw.privateKey === undefined) throw new UsageError(`${origin}: privateKey is required: a reference to the PEM key, such as {"file": "/etc/sftoken/etl.key"}`);
    const privateKey = await resolveSecret(raw.privateKey, `${origin}.privateKey`, env, secrets);
    if (!privateKey.includes('PRIVATE KEY')) throw new UsageError(`${origin}.privateKey is not a PEM private key`);
    grant = { kind, clientId: raw.clientId, privateKey, certificate: await readCertificate(raw.certificate, `${origin}.certificate`) };
  } else {
    if (raw.clientSecret === undefined) throw new UsageError(`${origin}: clientSecret is required: a reference such as {"env": "ETL_CLIENT_SECRET"}`);
    grant = { kind, clientId: raw.clientId, clientSecret: await resolveSecret(raw.clientSecret, `${origin}.clientSecret`, env, secrets) };
  }
  let destinations: Destination[] | null = null;
  if (raw.stores !== undefined) {
    if (!Array.isArray(raw.stores) || raw.stores.length === 0 || !raw.stores.every((s): s is string => typeof s === 'string' && s !== '')) {
      throw new UsageError(`${origin}.stores must be a list of destinations such as ["dotenv:/srv/etl/.env?var=SF_ACCESS_TOKEN&instanceVar=SF_INSTANCE_URL"]`);
    }
    destinations = raw.stores.map((spec) => parseDestination(spec));
  }
  return {
    username: raw.username.toLowerCase(),
    grant,
    loginUrl: loginUrl(raw.loginUrl, `${origin}.loginUrl`, kind),
    sessionTimeoutMs: sessionTimeout * 1000,
    refreshEveryMs: refreshEvery * 1000,
    destinations,
  };
}

/** The config file's `auth: jwt` and `auth: client-credentials` accounts. */
export async function loadIssuedAccounts(fileAccounts: unknown, env: NodeJS.ProcessEnv, secrets: Redactor, filePath = 'config file'): Promise<IssuedAccount[]> {
  if (!Array.isArray(fileAccounts)) return [];
  const list: unknown[] = fileAccounts;
  const out: IssuedAccount[] = [];
  for (const [i, raw] of list.entries()) {
    const origin = `${filePath}: accounts[${i}]`;
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) continue;
    const a: Record<string, unknown> = { ...raw };
    const kind = authOf(a, origin);
    if (kind === 'password') continue;
    const account = await loadIssuedAccount(a, kind, origin, env, secrets);
    if (out.some((x) => x.username === account.username)) throw new UsageError(`${origin}: ${account.username} is listed twice`);
    out.push(account);
  }
  return out;
}
