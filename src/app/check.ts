import { existsSync } from 'node:fs';
import { access, constants } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Config } from '../config/index.js';
import { withFileLock } from '../files/lock.js';
import { parseTarget } from '../notify/index.js';
import { Ledger, stateError } from '../state/ledger.js';
import { NEVER, withDeadline } from '../util/deadline.js';
import { silentLogger } from '../util/log.js';
import { buildContext, storeContext } from './context.js';
import { describe } from '../util/errors.js';
import type { Io } from './io.js';
import { accountReadiness } from './readiness.js';
import type { IssuedAccount } from '../config/issued-accounts.js';

interface Finding {
  ok: boolean;
  /** Works, but a person should know (a token file readable beyond its mode). */
  warn?: boolean;
  what: string;
  detail: string;
}

// A check that has not answered by then says so, rather than holding up the rest.
const CHECK_TIMEOUT_MS = 10_000;

async function probe(what: string, work: () => Promise<string>): Promise<Finding> {
  try {
    return { ok: true, what, detail: await withDeadline(CHECK_TIMEOUT_MS, work, { expired: () => new Error(`${what}: no answer within ${CHECK_TIMEOUT_MS / 1000} s`) }) };
  } catch (err) {
    return { ok: false, what, detail: describe(err).split('\n')[0] ?? 'failed' };
  }
}

/**
 * The state file can be used as a run uses it: read and parsed, and its lock taken and released
 * in its folder (the first thing a save does). A default folder not made yet is fine when the
 * nearest folder that exists can be written: the run makes it.
 */
async function stateUsable(path: string): Promise<string> {
  const folder = dirname(path);
  if (!existsSync(folder)) {
    let dir = dirname(folder);
    while (!existsSync(dir) && dirname(dir) !== dir) dir = dirname(dir);
    try {
      await access(dir, constants.W_OK);
    } catch {
      throw new Error(`cannot make the state folder ${folder}: ${dir} cannot be written`);
    }
    return `state file ${path} (its folder is made on first use)`;
  }
  await Ledger.open(path);
  try {
    await withFileLock(path, async () => undefined);
  } catch (err) {
    throw stateError(path, err);
  }
  return `state file ${path} can be read and written`;
}

/** Any HTTP answer from the login URL proves the endpoint is reachable; no login is sent. */
async function reachable(url: string): Promise<string> {
  try {
    const response = await fetch(new URL('/services/Soap/u/64.0', url), { method: 'GET', redirect: 'manual' });
    return `${url} answers (HTTP ${response.status})`;
  } catch (err) {
    const cause: unknown = err instanceof Error && err.cause !== undefined ? err.cause : err;
    throw new Error(`${url} cannot be reached (${describe(cause)}): check --login-url, the proxy and the firewall`);
  }
}

async function dnsAnswers(): Promise<string> {
  const { Resolver } = await import('node:dns/promises');
  const resolver = new Resolver({ timeout: 3000, tries: 1 });
  try {
    await resolver.resolveTxt('salesforce.com');
  } catch (err) {
    throw new Error(`DNS does not answer for salesforce.com (${describe(err)}): DKIM keys cannot be fetched; fix DNS on this host, or give the keys with --dkim-keys`);
  }
  return 'DNS answers (DKIM keys can be fetched)';
}

async function mailboxReady(config: Config, index: number): Promise<string> {
  const mailbox = config.mailboxes[index];
  if (!mailbox) throw new Error('no such mailbox');
  const { connectImap, openMailbox } = await import('../sources/imap/connect.js');
  const client = await connectImap(mailbox, config.imap, config.secrets, NEVER);
  try {
    await openMailbox(client, mailbox.folder);
    if (config.replicas) {
      const { requireCondstore } = await import('../sources/imap/claim.js');
      requireCondstore(client, mailbox.name);
    }
    const offers = ['IDLE', 'CONDSTORE'].filter((c) => client.capabilities.has(c));
    const missing = ['IDLE', 'CONDSTORE'].filter((c) => !client.capabilities.has(c));
    return `${mailbox.user} at ${mailbox.host}:${mailbox.port}, folder ${mailbox.folder}: login ok; offers ${offers.join(', ') || 'neither IDLE nor CONDSTORE'}${missing.includes('IDLE') ? ' (watch will poll every heartbeat)' : ''}`;
  } finally {
    await client.logout().catch(() => client.close());
  }
}

/**
 * `sftoken check`: the configuration end to end, changing nothing: each destination writable,
 * the state file's folder, the login endpoint, DNS for DKIM, each mailbox. With `--login`, one
 * test login per account with the token the first destination holds (it counts toward the
 * failed-login budget, like any login).
 */
export async function checkAll(config: Config, io: Io, login: boolean): Promise<number> {
  const findings: Finding[] = [];
  findings.push(await probe('state', () => stateUsable(config.statePath)));
  const destinations = [...config.destinations, ...[...config.accounts, ...config.issuedAccounts].flatMap((a) => a.destinations ?? [])];
  // What opening a destination warns about (a token file looser than its mode) is said here too.
  const warnings: string[] = [];
  const context = storeContext(config, { ...silentLogger, warn: (message) => void warnings.push(message) }, NEVER);
  for (const d of new Map(destinations.map((x) => [x.spec, x])).values()) findings.push(await probe(`destination ${d.spec}`, async () => `${(await d.open(context)).description} can be written`));
  for (const w of warnings) findings.push({ ok: true, warn: true, what: 'destination', detail: w });
  if (config.accounts.length === 0 && config.verify)
    findings.push({ ok: false, what: 'accounts', detail: 'no Salesforce account: set SFTOKEN_SF_USERNAME and SFTOKEN_SF_PASSWORD, or list accounts in the config file' });
  for (const url of new Set(config.accounts.map((a) => a.loginUrl))) findings.push(await probe(`login endpoint`, () => reachable(url)));
  if (config.trust.mode === 'dkim' && !config.trust.dkimKeys) findings.push(await probe('dns', dnsAnswers));
  for (const spec of config.notify) findings.push({ ok: true, what: 'notify', detail: `${parseTarget(spec).label} will be told` });
  for (const [i, m] of config.mailboxes.entries()) findings.push(await probe(`mailbox ${m.name}`, () => mailboxReady(config, i)));
  if (login) findings.push(...(await testLogins(config)));
  findings.push(...(await loginPaths(config, login)));
  for (const account of config.issuedAccounts) findings.push(await probe(`access token ${account.username}`, () => issuable(config, account)));
  for (const f of findings) io.stdout(`${f.warn ? 'WARN' : f.ok ? 'ok  ' : 'FAIL'}  ${f.what}: ${f.detail}\n`);
  return findings.every((f) => f.ok) ? 0 : 1;
}

/**
 * Each account's login path and its end (DESIGN §5); after --login, what Salesforce said of the
 * path just now. A path that is closed or ends within 60 days is a warning, not a failure: it
 * works today.
 */
async function loginPaths(config: Config, loggedIn: boolean): Promise<Finding[]> {
  const ledger = await Ledger.open(config.statePath).catch(() => null);
  const now = new Date();
  return config.accounts.map((account) => {
    const r = accountReadiness(account, config.loginPathEnds, ledger?.loginPath(account.username), now);
    const said =
      loggedIn && r.lastLogin
        ? `; Salesforce ${r.lastLogin.accepted === true ? 'accepted it' : r.lastLogin.accepted === false ? `said it is closed (${r.lastLogin.code ?? '?'})` : `gave an unclear answer (${r.lastLogin.code ?? '?'})`} at this login`
        : '';
    const ok = r.available && !(loggedIn && r.lastLogin?.accepted === false);
    return { ok, warn: ok && r.warning !== null, what: `login path ${r.username}`, detail: `${r.path}${said}; ${r.advice}` };
  });
}

/** An issued account: its destinations can hold an access token, its token endpoint answers. Nothing is issued. */
async function issuable(config: Config, account: IssuedAccount): Promise<string> {
  const context = storeContext(config, silentLogger, NEVER);
  for (const d of account.destinations ?? config.destinations) {
    const store = await d.open(context);
    if (!store.setAccessToken) throw new Error(`--store ${d.spec} cannot hold an access token: use file, dotenv, dataloader, exec, keychain or pass`);
  }
  const reached = await reachable(account.loginUrl);
  return `${account.grant.kind === 'jwt' ? 'JWT bearer' : 'client credentials'}, client ${account.grant.clientId.slice(0, 6)}…; every destination can hold it; ${reached}`;
}

/** One test login per account, with the token its first destination that can be read holds. */
async function testLogins(config: Config): Promise<Finding[]> {
  const { fingerprint } = await import('../util/fingerprint.js');
  const silent = { stdin: process.stdin, stdout: () => undefined, stderr: () => undefined, env: {} };
  const ctx = await buildContext({ ...config, dryRun: false, verify: true }, silent);
  const findings: Finding[] = [];
  for (const account of config.accounts) {
    findings.push(
      await probe(`login ${account.username}`, async () => {
        const stores = ctx.deps.destinations?.(account.username) ?? [];
        let token: string | null = null;
        for (const { store } of stores) token ??= await store.get(account.username).catch(() => null);
        if (!token) throw new Error('no stored token to test with (a destination that can be read back: keychain or file)');
        const fp = fingerprint(token);
        const verdict = await ctx.deps.verifier?.verify(account.username, token, fp);
        await ctx.checkpoint();
        if (verdict?.verdict === 'accepted') return `the stored token ${fp} logs in`;
        throw new Error(`the stored token ${fp} does not log in (${verdict && 'reason' in verdict ? verdict.reason : 'no verifier'})`);
      }),
    );
  }
  return findings;
}
