import type { ImapFlow } from 'imapflow';
import { mailboxKey, type ImapLimits, type Mailbox } from '../../config/index.js';
import { meaning } from '../../pipeline/outcomes.js';
import type { BatchSlot, JoinBatch, MessageRecord } from '../../pipeline/types.js';
import type { MailboxMarks } from '../../state/ledger.js';
import { backoffAtLeastMs, backoffMs } from '../../util/backoff.js';
import { TransientError, UsageError } from '../../util/errors.js';
import { requireCondstore } from './claim.js';
import { ImapLoginRefused, connectImap, imapError, openMailbox } from './connect.js';
import { sweep, type SweepOptions } from './sweep.js';

// Reconnects back off from 1 s to a minute and retry for ever. A refused login waits a minute at
// least, growing to 15: mail providers lock accounts that keep failing (DESIGN §2a). A missing
// mailbox is a configuration matter too, but asking again costs nothing: short waits, long cap.
const RECONNECT_BASE_MS = 1000;
const RECONNECT_CAP_MS = 60_000;
const LOGIN_REFUSED_BASE_MS = 60_000;
const CONFIG_ERROR_CAP_MS = 15 * 60_000;
// A quiet sweep moves nothing but the contact time that `status` shows. Writing the state file
// for it on every heartbeat of every mailbox was most of an idle watcher's work (200 mailboxes:
// 200 locked read-modify-writes a minute), so it is written at most this often.
const CONTACT_SAVE_MS = 5 * 60_000;

/** What the watcher tells whoever reports on its health, each under the mailbox's name. */
export interface WatchEvents {
  /** Logged in with the mailbox open. */
  connected(mailbox: string): void;
  /** A sweep (search, fetch, handle, settle) went through to its end. */
  swept(mailbox: string): void;
  reconnecting(mailbox: string): void;
  handled(mailbox: string, records: readonly MessageRecord[]): void;
}

interface WatcherOptions {
  mailbox: Mailbox;
  heartbeatMs: number;
  imap: ImapLimits;
  /** How far back the first look goes when the ledger has no mark for this mailbox. */
  firstSince: Date;
  /**
   * Identifies the credentials and trust settings. When they differ from those the mark was read
   * under, the token emails left in the mailbox (refused ones) are looked at again: a fixed
   * password gives a refused token its one more try, new trust settings a refused email.
   */
  settings: string;
  /** A place in the next batch, shared with the other mailboxes' sweeps. */
  joinBatch: JoinBatch;
  sweep: SweepOptions;
  marks: MailboxMarks;
  /** Makes the moved mark durable; the caller owns the state file. */
  checkpoint(): Promise<void>;
  events: WatchEvents;
  /** Resolves when the watcher is asked to stop. */
  stopped: Promise<void>;
}

/** A configuration error met while handling mail: no reconnect can cure it, so watching ends. */
class Fatal extends Error {
  constructor(readonly error: UsageError) {
    super(error.message);
  }
}

function sleep(ms: number, stopped: Promise<void>): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([new Promise<void>((r) => (timer = setTimeout(r, ms))), stopped]).finally(() => clearTimeout(timer));
}

/**
 * One mailbox, watched for ever: connect, catch up from the high-water mark, IDLE, and on any
 * failure reconnect with backoff (a closed ImapFlow cannot connect again, so each connection is
 * a new one). Returns once `stopped` resolves and the message in hand is finished.
 */
export async function watchMailbox(options: WatcherOptions): Promise<void> {
  const {
    mailbox,
    sweep: { log },
  } = options;
  let stopping = false;
  void options.stopped.then(() => (stopping = true));
  // Reset only once a sweep has gone through: a server that accepts the login but lacks the
  // mailbox, or drops every FETCH, would otherwise be asked again every second for ever.
  let attempt = 0;
  while (!stopping) {
    let client: ImapFlow | null = null;
    let wait = (n: number): number => backoffMs(n, RECONNECT_BASE_MS, RECONNECT_CAP_MS);
    // Taken before connecting: the catch-up batch after a (re)start waits for every mailbox
    // still connecting, so that it sees each one's token emails together.
    const firstSlot = options.joinBatch();
    try {
      client = await connectImap(mailbox, options.imap);
      await session(
        options,
        client,
        firstSlot,
        () => stopping,
        () => (attempt = 0),
      );
    } catch (err) {
      if (err instanceof Fatal) throw err.error;
      if (err instanceof ImapLoginRefused) wait = (n) => backoffAtLeastMs(n, LOGIN_REFUSED_BASE_MS, CONFIG_ERROR_CAP_MS);
      else if (err instanceof UsageError) wait = (n) => backoffMs(n, RECONNECT_BASE_MS, CONFIG_ERROR_CAP_MS);
      log.error('mailbox unavailable', { mailbox: mailbox.name, error: imapError(err) });
    } finally {
      firstSlot.leave();
      if (client) await (stopping ? client.logout().catch(() => client?.close()) : Promise.resolve(client.close()));
    }
    if (stopping) break;
    options.events.reconnecting(mailbox.name);
    const delay = wait(attempt++);
    log.warn('reconnecting', { mailbox: mailbox.name, inMs: delay, attempt });
    await sleep(delay, options.stopped);
  }
}

/**
 * One connection's life: catch up from the high-water mark, then IDLE, catching up again on
 * every EXISTS and on every heartbeat. Returns when the connection closes or the watcher stops.
 */
async function session(options: WatcherOptions, client: ImapFlow, firstSlot: BatchSlot, isStopping: () => boolean, onSwept: () => void): Promise<void> {
  const { mailbox, marks, events, sweep: sweepOptions } = options;
  const { log } = sweepOptions;
  const key = mailboxKey(mailbox);
  const box = await openMailbox(client, mailbox.folder);
  // Named before anything is read, and retried like a missing mailbox: the others go on.
  if (sweepOptions.replicas && sweepOptions.settle) requireCondstore(client, mailbox.name);
  let mark = marks.mailbox(key);
  if (mark && mark.uidValidity !== box.uidValidity) {
    log.warn('UIDVALIDITY changed: reading the mailbox again from --since', { mailbox: mailbox.name, was: mark.uidValidity, now: box.uidValidity });
    mark = undefined;
  }
  let afterUid = mark?.lastUid ?? 0;
  let since: Date | null = mark ? null : (mailbox.since ?? options.firstSince);
  let relook = false;
  if (mark && mark.settings !== options.settings) {
    log.info('settings changed: looking again at the token emails left in the mailbox', { mailbox: mailbox.name });
    afterUid = 0;
    since = mailbox.since ?? options.firstSince;
    relook = true;
  }
  let retryPending = false;
  events.connected(mailbox.name);
  log.info('watching', { mailbox: mailbox.name, host: mailbox.host, afterUid, since: since?.toISOString() ?? null });

  let slot: BatchSlot | null = firstSlot;
  const catchUp = async (): Promise<void> => {
    const mine = slot ?? options.joinBatch();
    slot = null;
    const { handled, highestUid, held } = await sweep(client, mailbox, { uidValidity: box.uidValidity, since, afterUid, relook }, mine, sweepOptions);
    // A failed message, or one another replica holds, must be seen again: the mark stops just
    // before the first one.
    const pending = [...handled.filter((h) => !meaning(h.record.outcome, h.record.reason).final).map((h) => h.message.sequence), ...held];
    afterUid = pending.length ? Math.min(...pending) - 1 : highestUid;
    since = null;
    relook = false;
    retryPending = pending.length > 0;
    events.handled(
      mailbox.name,
      handled.map((h) => h.record),
    );
    const now = new Date();
    const was = marks.mailbox(key);
    const moved = !was || was.uidValidity !== box.uidValidity || was.lastUid !== afterUid || was.settings !== options.settings || was.name !== mailbox.name;
    if (moved || !was.lastContact || now.getTime() - Date.parse(was.lastContact) >= CONTACT_SAVE_MS) {
      marks.recordMailbox(key, { uidValidity: box.uidValidity, lastUid: afterUid, settings: options.settings, lastContact: now.toISOString(), name: mailbox.name });
      await options.checkpoint();
    }
    // A message that could not be read because the connection died is a failed sweep, not one
    // to reset the backoff for.
    if (!client.usable) throw new TransientError('the connection closed during the sweep');
    events.swept(mailbox.name);
    onSwept();
  };

  let queue: Promise<void> = Promise.resolve();
  let fatal: UsageError | null = null;
  const enqueue = (job: () => Promise<void>): Promise<void> =>
    // Work queued behind a failure that closed the connection has nothing to run on.
    (queue = queue
      .then(() => (client.usable ? job() : undefined))
      .catch((err: unknown) => {
        if (err instanceof UsageError) fatal = err;
        else log.error('mailbox work failed; reconnecting', { mailbox: mailbox.name, error: imapError(err) });
        client.close();
      }));
  const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
  client.on('exists', (info: { count: number; prevCount: number }) => {
    log.debug('new mail', { mailbox: mailbox.name, count: info.count, previous: info.prevCount });
    void enqueue(catchUp);
  });
  const heartbeat = setInterval(() => {
    void enqueue(async () => {
      // A whole sweep, not a NOOP: IDLE can sit on a dead socket, and a server can answer NOOP
      // while every SEARCH or FETCH hangs. It retries a failed message too, and its contact time
      // goes into the state file, so that `status` can tell a live watcher.
      const wasPending = retryPending;
      await catchUp();
      log.info('heartbeat', { mailbox: mailbox.name, afterUid, retryPending: wasPending });
    });
  }, options.heartbeatMs);
  try {
    await enqueue(catchUp);
    while (!isStopping() && client.usable && !fatal) {
      await Promise.race([client.idle().catch(() => undefined), closed, options.stopped]);
      await queue;
    }
  } finally {
    clearInterval(heartbeat);
    await queue;
  }
  if (fatal) throw new Fatal(fatal);
}
