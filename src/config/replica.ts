import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';

/**
 * This process among the replicas: its host, for a person reading the claim keywords, and a
 * random part, so that a restart is another holder. Only what an IMAP keyword may hold.
 */
export function newReplicaId(): string {
  const host =
    hostname()
      .replace(/[^A-Za-z0-9-]/g, '')
      .slice(0, 24) || 'host';
  return `${host}-${randomBytes(3).toString('hex')}`;
}
