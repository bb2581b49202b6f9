import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { loadDkimKeys } from './dkim-keys.js';
import { senderProver, trustPolicy, type Prover, type TrustMode, type TrustPolicy } from './policy.js';

export { TRUST_MODES, type TrustDecision, type TrustMode, type TrustPolicy } from './policy.js';

/** How messages prove that they come from Salesforce, as the configuration gives it. */
export interface TrustSettings {
  mode: TrustMode;
  /** --dkim-keys: a file of public keys that answers before DNS. */
  dkimKeys: string | null;
  /** --authserv-id: required with auth-results, checked when the configuration is read. */
  authservId: string | null;
  /** Addresses whose hand-forwarded token emails may be trusted (config file only). */
  forwarders: readonly string[];
}

// Each prover loads its own library only when chosen: mailauth's DKIM code costs start-up time.
async function prover(settings: TrustSettings): Promise<Prover> {
  switch (settings.mode) {
    case 'sender':
      return senderProver;
    case 'auth-results': {
      const { authResultsProver } = await import('./auth-results-prover.js');
      return authResultsProver(settings.authservId ?? '');
    }
    case 'dkim': {
      const { dkimProver } = await import('./dkim.js');
      return dkimProver(settings.dkimKeys ? loadDkimKeys(settings.dkimKeys) : new Map());
    }
  }
}

export async function buildTrustPolicy(settings: TrustSettings): Promise<TrustPolicy> {
  return trustPolicy({ prover: await prover(settings), trustedForwarders: settings.forwarders });
}

/**
 * Identifies what the trust check would decide with: the mode, the server named, the
 * forwarders and the content of the keys file. A token email refused under one set of settings
 * is looked at again under another (a new key, another mode, a new forwarder).
 */
export async function trustFingerprint(settings: TrustSettings): Promise<string> {
  const keys = settings.dkimKeys ? await readFile(settings.dkimKeys, 'utf8').catch(() => '') : '';
  const parts = [settings.mode, settings.authservId ?? '', [...settings.forwarders].sort().join(','), keys];
  return createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 16);
}
