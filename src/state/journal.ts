import type { Journal } from '../pipeline/types.js';
import type { Ledger } from './ledger.js';

/**
 * The pipeline's journal (pipeline/types.ts) kept in the ledger: each record is made durable by
 * `checkpoint` before the call returns. A dry run's checkpoint saves nothing, as it logs in nowhere.
 */
export function ledgerJournal(ledger: Ledger, checkpoint: () => Promise<void>): Journal {
  return {
    failedLogins: (username) => ledger.failedLogins(username),
    inFlight: (fp) => ledger.attempt(fp),
    pendingRetry: (fp) => ledger.pendingRetry(fp),
    verified: (fp) => ledger.verified(fp) !== undefined,
    deliveredTo: (fp) => ledger.deliveredTo(fp),
    async loginStarted(fp, login) {
      ledger.recordAttempt(fp, login);
      await checkpoint();
    },
    async cutOffCounted(fp, login, keepFailures) {
      ledger.recordFailedLogin(login.username, login.startedAt, keepFailures);
      ledger.recordAttempt(fp, { ...login, counted: true });
      await checkpoint();
    },
    async loginAnswered(fp, answer) {
      ledger.recordAttempt(fp, null);
      if (answer.failed) ledger.recordFailedLogin(answer.username, answer.at.toISOString(), answer.keepFailures);
      if (answer.path)
        ledger.recordLoginPath(answer.username, { path: answer.path.label, accepted: answer.path.accepted, at: answer.at.toISOString(), ...(answer.path.code ? { code: answer.path.code } : {}) });
      if (answer.verified) {
        ledger.recordRetry(fp, null);
        ledger.recordVerified(fp, { username: answer.username, at: answer.at.toISOString() });
      }
      await checkpoint();
    },
    async loginAbandoned(fp) {
      ledger.recordAttempt(fp, null);
      await checkpoint();
    },
    async delivered(fp, spec) {
      ledger.recordDelivered(fp, spec);
      await checkpoint();
    },
  };
}
