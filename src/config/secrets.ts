import { readFile } from 'node:fs/promises';
import { UsageError, describe } from '../util/errors.js';
import { registerSecret } from '../util/redact.js';

/**
 * Where a secret comes from, in a config file: never the secret itself, so that a config file
 * can be committed, mounted or printed. `file` suits container secrets (/run/secrets/…).
 */
export type SecretRef = { env: string } | { file: string } | { keychain: { service: string; account: string } };

export function isSecretRef(value: unknown): value is SecretRef {
  if (value === null || typeof value !== 'object') return false;
  const v = value as Record<string, unknown>;
  const keys = Object.keys(v);
  if (keys.length !== 1) return false;
  if (typeof v.env === 'string' || typeof v.file === 'string') return true;
  const k = v.keychain as Record<string, unknown> | undefined;
  return typeof k?.service === 'string' && typeof k.account === 'string';
}

/** Reads a secret and registers it for redaction; any problem is a one-line usage error naming `origin`. */
export async function resolveSecret(ref: unknown, origin: string, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  if (typeof ref === 'string') {
    throw new UsageError(`${origin}: write a reference such as {"env": "NAME"} or {"file": "/run/secrets/x"}, not the secret itself`);
  }
  if (!isSecretRef(ref)) throw new UsageError(`${origin}: expected {"env": …}, {"file": …} or {"keychain": {"service": …, "account": …}}`);
  let secret: string | null | undefined;
  if ('env' in ref) {
    secret = env[ref.env];
    if (!secret) throw new UsageError(`${origin}: environment variable ${ref.env} is not set`);
  } else if ('file' in ref) {
    try {
      secret = (await readFile(ref.file, 'utf8')).replace(/\r?\n$/, '');
    } catch (err) {
      throw new UsageError(`${origin}: cannot read ${ref.file}: ${(err as NodeJS.ErrnoException).code ?? describe(err)}`);
    }
  } else {
    const { loadKeytar } = await import('../stores/keychain.js');
    const keytar = await loadKeytar();
    try {
      secret = await keytar.getPassword(ref.keychain.service, ref.keychain.account);
    } catch (err) {
      throw new UsageError(`${origin}: keychain unavailable: ${describe(err).split('\n')[0]}`);
    }
    if (!secret) throw new UsageError(`${origin}: no keychain entry for service ${ref.keychain.service}, account ${ref.keychain.account}`);
  }
  if (!secret) throw new UsageError(`${origin}: the secret is empty`);
  registerSecret(secret);
  return secret;
}
