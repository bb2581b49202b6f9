import { readFile } from 'node:fs/promises';
import { BARE_CONTEXT, parseDestination } from '../stores/index.js';
import { UsageError, describe, errnoCode } from '../util/errors.js';
import type { Redactor } from '../util/redact.js';

/**
 * Where a secret comes from, in a config file: never the secret itself, so that a config file
 * can be committed, mounted or printed. `file` suits container secrets (/run/secrets/…).
 */
type SecretRef = { env: string } | { file: string } | { credential: string } | { keychain: { service: string; account: string } };

function isSecretRef(value: unknown): value is SecretRef {
  if (value === null || typeof value !== 'object' || Object.keys(value).length !== 1) return false;
  if (('env' in value && typeof value.env === 'string') || ('file' in value && typeof value.file === 'string')) return true;
  if ('credential' in value && typeof value.credential === 'string' && /^[A-Za-z0-9_.-]+$/.test(value.credential)) return true;
  const k = 'keychain' in value ? value.keychain : undefined;
  return k !== null && typeof k === 'object' && 'service' in k && typeof k.service === 'string' && 'account' in k && typeof k.account === 'string';
}

/** Reads a secret into the run's redactor; any problem is a one-line usage error naming `origin`. */
export async function resolveSecret(ref: unknown, origin: string, env: NodeJS.ProcessEnv, secrets: Redactor): Promise<string> {
  if (typeof ref === 'string') {
    throw new UsageError(`${origin}: write a reference such as {"env": "NAME"} or {"file": "/run/secrets/x"}, not the secret itself`);
  }
  if (!isSecretRef(ref)) throw new UsageError(`${origin}: expected {"env": …}, {"file": …}, {"credential": …} or {"keychain": {"service": …, "account": …}}`);
  let secret: string | null | undefined;
  if ('env' in ref) {
    secret = env[ref.env];
    if (!secret) throw new UsageError(`${origin}: environment variable ${ref.env} is not set`);
  } else if ('file' in ref || 'credential' in ref) {
    // A systemd credential (LoadCredential=) is a file in $CREDENTIALS_DIRECTORY, readable by
    // this service alone.
    const dir = env.CREDENTIALS_DIRECTORY;
    if ('credential' in ref && !dir) throw new UsageError(`${origin}: {"credential": "${ref.credential}"} needs systemd's LoadCredential= (CREDENTIALS_DIRECTORY is not set)`);
    const path = 'file' in ref ? ref.file : `${dir}/${ref.credential}`;
    try {
      secret = (await readFile(path, 'utf8')).replace(/\r?\n$/, '');
    } catch (err) {
      throw new UsageError(`${origin}: cannot read ${path}: ${errnoCode(err) ?? describe(err)}`);
    }
  } else {
    // Read through the keychain destination itself, so that only stores/ knows the library.
    try {
      const keychain = await parseDestination(`keychain:${ref.keychain.service}`).open({ ...BARE_CONTEXT, secrets });
      secret = await keychain.get(ref.keychain.account);
    } catch (err) {
      throw new UsageError(`${origin}: keychain unavailable: ${describe(err).split('\n')[0]}`);
    }
    if (!secret) throw new UsageError(`${origin}: no keychain entry for service ${ref.keychain.service}, account ${ref.keychain.account}`);
  }
  if (!secret) throw new UsageError(`${origin}: the secret is empty`);
  secrets.add(secret);
  return secret;
}
