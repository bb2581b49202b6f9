import type { ImapFlow } from 'imapflow';
import { withDeadline } from '../../util/deadline.js';
import { TransientError } from '../../util/errors.js';

// imapflow's socket timeout restarts on every byte, so a server that sends "* OK still
// searching" now and then holds a command open for ever. Each command gets its own deadline
// instead, kept per client because every command of a connection shares it.
const deadlines = new WeakMap<ImapFlow, number>();
// Why imapflow dropped a connection (a line or literal over its cap): the command that was
// waiting only learns "Connection not available".
const dropped = new WeakMap<ImapFlow, unknown>();

export function setCommandDeadline(client: ImapFlow, ms: number): void {
  deadlines.set(client, ms);
}

/** Remembers the error imapflow emitted as it closed the connection. */
export function noteDrop(client: ImapFlow, err: unknown): void {
  if (!dropped.has(client)) dropped.set(client, err);
}

/**
 * Runs one IMAP command (or a FETCH read to its end) under the connection's deadline. Past it
 * the connection is closed, which fails whatever else was waiting on it, and the caller's
 * reconnect-with-backoff takes over.
 */
export async function within<T>(client: ImapFlow, what: string, work: () => Promise<T>): Promise<T> {
  // imapflow answers some commands on a closed connection with false or nothing, which would
  // read as an empty mailbox.
  if (!client.usable && what !== 'greeting and login') throw new TransientError(`IMAP ${what}: the connection is closed; reconnecting`);
  const ms = deadlines.get(client);
  if (ms === undefined) return work();
  try {
    // Past the deadline the connection is closed: that fails whatever else waits on it too.
    return await withDeadline(ms, work, { onExpire: () => client.close(), expired: () => new TransientError(`IMAP ${what} got no answer within ${ms / 1000} s; reconnecting`) });
  } catch (err) {
    const cause = dropped.get(client);
    if (cause instanceof Error && !(err instanceof TransientError)) throw Object.assign(new TransientError(`IMAP ${what}: ${cause.message}`), { code: 'code' in cause ? cause.code : undefined });
    throw err;
  }
}
