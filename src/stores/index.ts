import { isAbsolute, resolve } from 'node:path';
import { UsageError } from '../util/errors.js';
import { FileStore } from './file.js';
import type { SecretStore } from './types.js';

export type { SecretStore, TokenMetadata } from './types.js';

export const DEFAULT_STORE = 'keychain:salesforce-security-token';
const DEFAULT_KEYCHAIN_SERVICE = 'salesforce-security-token';

export type StoreSpec = { kind: 'keychain'; service: string } | { kind: 'file'; path: string };

/** Reads `keychain[:<service>]` or `file:<path>`; anything else is a configuration error. */
export function parseStoreSpec(spec: string): StoreSpec {
  const colon = spec.indexOf(':');
  const scheme = colon === -1 ? spec : spec.slice(0, colon);
  const rest = colon === -1 ? '' : spec.slice(colon + 1);
  if (scheme === 'keychain') return { kind: 'keychain', service: rest || DEFAULT_KEYCHAIN_SERVICE };
  if (scheme === 'file') {
    if (!rest) throw new UsageError('--store file needs a path: file:<path>');
    return { kind: 'file', path: isAbsolute(rest) ? rest : resolve(rest) };
  }
  throw new UsageError(`unknown store "${scheme}": use keychain[:<service>] or file:<path>`);
}

export async function openStore(spec: string): Promise<SecretStore> {
  const parsed = parseStoreSpec(spec);
  if (parsed.kind === 'file') return new FileStore(parsed.path);
  // keytar is a native optional dependency: load it only when the keychain is really used.
  const { KeychainStore } = await import('./keychain.js');
  return KeychainStore.open(parsed.service);
}
