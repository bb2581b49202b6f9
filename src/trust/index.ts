// trust/: whether a token email really came from Salesforce (DKIM, Authentication-Results, sender).
import { createHash } from 'node:crypto';
import { loadDkimKeys, type DkimKeys } from './dkim-keys.js';
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
async function prover(settings: TrustSettings, keys: DkimKeys): Promise<Prover> {
  switch (settings.mode) {
    case 'sender':
      return senderProver;
    case 'auth-results': {
      const { authResultsProver } = await import('./auth-results-prover.js');
      return authResultsProver(settings.authservId ?? '');
    }
    case 'dkim': {
      const { dkimProver } = await import('./dkim.js');
      return dkimProver(keys);
    }
  }
}

/**
 * The trust policy, and what identifies its settings: the mode, the server named, the forwarders
 * and the content of the keys file (read once, for both). A token email refused under one set of
 * settings is looked at again under another (a new key, another mode, a new forwarder).
 */
export async function buildTrust(settings: TrustSettings): Promise<{ policy: TrustPolicy; fingerprint: string }> {
  // The keys matter to the DKIM policy alone, and only it reads the file.
  const { text, keys } = settings.mode === 'dkim' && settings.dkimKeys ? loadDkimKeys(settings.dkimKeys) : { text: '', keys: new Map<string, string>() };
  const parts = [settings.mode, settings.authservId ?? '', [...settings.forwarders].sort().join(','), text];
  return {
    policy: trustPolicy({ prover: await prover(settings, keys), trustedForwarders: settings.forwarders }),
    fingerprint: createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 16),
  };
}
