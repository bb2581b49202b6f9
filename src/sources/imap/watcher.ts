import type { ImapFlow } from 'imapflow';
import { mailboxKey, type ImapLimits, type Mailbox } from '../../config/index.js';
import { meaning } from '../../pipeline/outcomes.js';
import type { BatchSlot, JoinBatch, MessageRecord } from '../../pipeline/types.js';
import type { MailboxMarks } from '../../state/ledger.js';
import { backoffAtLeastMs, backoffMs } from '../../util/backoff.js';
import { sleep, untilAborted } from '../../util/deadline.js';
import type { Redactor } from '../../util/redact.js';
import { TransientError, UsageError } from '../../util/errors.js';
import { requireCondstore, type ClaimSightings } from './claim.js';
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
  checkpoint: () => Promise<void>;
  events: WatchEvents;
  /** Aborts when the watcher is asked to stop. */
  signal: AbortSignal;
  /** The run's secrets: an access token a command prints joins them. */
  secrets: Redactor;
  /** Other replicas' claims this watcher has seen, kept across reconnects (claim.ts). */
  sightings?: ClaimSightings;
}

/** A configuration error met while handling mail: no reconnect can cure it, so watching ends. */
class Fatal extends Error {
  constructor(readonly error: UsageError) {
    super(error.message);
  }
}

/**
 * One mailbox, watched for ever: connect, catch up from the high-water mark, IDLE, and on any
 * failure reconnect with backoff (a closed ImapFlow cannot connect again, so each connection is
 * a new one). Returns once `signal` aborts and the message in hand is finished. Every failure of
 * a connection, whenever it happens, arrives here by one route: thrown out of the session.
 */
export async function watchMailbox(options: WatcherOptions): Promise<void> {
  const {
    mailbox,
    signal,
    sweep: { log },
  } = options;
  // Reset only once a sweep has gone through: a server that accepts the login but lacks the
  // mailbox, or drops every FETCH, would otherwise be asked again every second for ever.
  let attempt = 0;
  while (!signal.aborted) {
    let client: ImapFlow | null = null;
    let wait = (n: number): number => backoffMs(n, RECONNECT_BASE_MS, RECONNECT_CAP_MS);
    // Taken before connecting: the catch-up batch after a (re)start waits for every mailbox
    // still connecting, so that it sees each one's token emails together.
    const firstSlot = options.joinBatch();
    try {
      client = await connectImap(mailbox, options.imap, options.secrets, signal);
      const session = await Session.open(options, client, firstSlot);
      await session.run(() => (attempt = 0));
    } catch (err) {
      if (err instanceof Fatal) throw err.error;
      if (err instanceof ImapLoginRefused) wait = (n) => backoffAtLeastMs(n, LOGIN_REFUSED_BASE_MS, CONFIG_ERROR_CAP_MS);
      else if (err instanceof UsageError) wait = (n) => backoffMs(n, RECONNECT_BASE_MS, CONFIG_ERROR_CAP_MS);
      log.error('mailbox unavailable', { mailbox: mailbox.name, error: imapError(err) });
    } finally {
      firstSlot.leave();
      if (client) await (signal.aborted ? client.logout().catch(() => client?.close()) : Promise.resolve(client.close()));
    }
    if (signal.aborted) break;
    options.events.reconnecting(mailbox.name);
    const delay = wait(attempt++);
    log.warn('reconnecting', { mailbox: mailbox.name, inMs: delay, attempt });
    await sleep(delay, signal);
  }
}

/** Where a connection reads from next: the high-water mark, or a date on a first or fresh look. */
interface Cursor {
  afterUid: number;
  since: Date | null;
  /** Look again at the token emails left in the mailbox (the settings changed). */
  relook: boolean;
  /** A message failed or is held by another replica: the next sweep tries again. */
  retryPending: boolean;
}

/**
 * One connection's life: catch up from the high-water mark, then IDLE, catching up again on
 * every EXISTS and on every heartbeat. Work runs one job at a time; the first job that fails
 * closes the connection and its error is what `run` throws.
 */
class Session {
  private queue: Promise<void> = Promise.resolve();
  private failure: Error | null = null;
  private slot: BatchSlot | null;

  private constructor(
    private readonly options: WatcherOptions,
    private readonly client: ImapFlow,
    private readonly uidValidity: string,
    private cursor: Cursor,
    firstSlot: BatchSlot,
  ) {
    this.slot = firstSlot;
  }

  /** Opens the mailbox and reads where to start from the mark the ledger keeps for it. */
  static async open(options: WatcherOptions, client: ImapFlow, firstSlot: BatchSlot): Promise<Session> {
    const { mailbox, marks, sweep: sweepOptions } = options;
    const { log } = sweepOptions;
    const box = await openMailbox(client, mailbox.folder);
    // Named before anything is read, and retried like a missing mailbox: the others go on.
    if (sweepOptions.replicas && sweepOptions.settle) requireCondstore(client, mailbox.name);
    let mark = marks.mailbox(mailboxKey(mailbox));
    if (mark && mark.uidValidity !== box.uidValidity) {
      log.warn('UIDVALIDITY changed: reading the mailbox again from --since', { mailbox: mailbox.name, was: mark.uidValidity, now: box.uidValidity });
      mark = undefined;
    }
    const fresh = { afterUid: 0, since: mailbox.since ?? options.firstSince, retryPending: false };
    let cursor: Cursor = mark ? { afterUid: mark.lastUid, since: null, relook: false, retryPending: false } : { ...fresh, relook: false };
    if (mark && mark.settings !== options.settings) {
      log.info('settings changed: looking again at the token emails left in the mailbox', { mailbox: mailbox.name });
      cursor = { ...fresh, relook: true };
    }
    options.events.connected(mailbox.name);
    log.info('watching', { mailbox: mailbox.name, host: mailbox.host, afterUid: cursor.afterUid, since: cursor.since?.toISOString() ?? null });
    return new Session(options, client, box.uidValidity, cursor, firstSlot);
  }

  /** Watches until the connection closes, a job fails, or the watcher stops. */
  async run(onSwept: () => void): Promise<void> {
    const { client, options } = this;
    const { mailbox, signal } = options;
    const { log } = options.sweep;
    const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
    const catchUp = async (): Promise<void> => {
      await this.catchUp();
      onSwept();
    };
    client.on('exists', (info: { count: number; prevCount: number }) => {
      log.debug('new mail', { mailbox: mailbox.name, count: info.count, previous: info.prevCount });
      this.enqueue(catchUp);
    });
    const heartbeat = setInterval(() => {
      this.enqueue(async () => {
        // A whole sweep, not a NOOP: IDLE can sit on a dead socket, and a server can answer NOOP
        // while every SEARCH or FETCH hangs. It retries a failed message too, and its contact time
        // goes into the state file, so that `status` can tell a live watcher.
        const wasPending = this.cursor.retryPending;
        await catchUp();
        log.info('heartbeat', { mailbox: mailbox.name, afterUid: this.cursor.afterUid, retryPending: wasPending });
      });
    }, options.heartbeatMs);
    try {
      this.enqueue(catchUp);
      await this.queue;
      while (!signal.aborted && client.usable && this.failure === null) {
        await Promise.race([client.idle().catch(() => undefined), closed, untilAborted(signal)]);
        await this.queue;
      }
    } finally {
      clearInterval(heartbeat);
      await this.queue;
    }
    if (this.failure !== null) throw this.failure instanceof UsageError ? new Fatal(this.failure) : this.failure;
  }

  private enqueue(job: () => Promise<void>): void {
    this.queue = this.queue
      // Work queued behind a failure has nothing to run on.
      .then(() => (this.client.usable && this.failure === null ? job() : undefined))
      .catch((err: unknown) => {
        this.failure ??= err instanceof Error ? err : new TransientError(String(err));
        this.client.close();
      });
  }

  /** One sweep from the cursor; the cursor and the mailbox's mark move past what it settled. */
  private async catchUp(): Promise<void> {
    const { client, options, uidValidity } = this;
    const { mailbox, marks, events } = options;
    const mine = this.slot ?? options.joinBatch();
    this.slot = null;
    const { afterUid, since, relook } = this.cursor;
    const { handled, highestUid, held } = await sweep(client, mailbox, { uidValidity, since, afterUid, relook, ...(options.sightings ? { sightings: options.sightings } : {}) }, mine, options.sweep);
    // A failed message, or one another replica holds, must be seen again: the mark stops just
    // before the first one.
    const pending = [...handled.filter((h) => !meaning(h.record.outcome, h.record.reason).final).map((h) => h.message.sequence), ...held];
    this.cursor = { afterUid: pending.length ? Math.min(...pending) - 1 : highestUid, since: null, relook: false, retryPending: pending.length > 0 };
    events.handled(
      mailbox.name,
      handled.map((h) => h.record),
    );
    const key = mailboxKey(mailbox);
    const now = new Date();
    const was = marks.mailbox(key);
    const lastUid = this.cursor.afterUid;
    const moved = !was || was.uidValidity !== uidValidity || was.lastUid !== lastUid || was.settings !== options.settings || was.name !== mailbox.name;
    if (moved || !was.lastContact || now.getTime() - Date.parse(was.lastContact) >= CONTACT_SAVE_MS) {
      marks.recordMailbox(key, { uidValidity, lastUid, settings: options.settings, lastContact: now.toISOString(), name: mailbox.name });
      await options.checkpoint();
    }
    // A message that could not be read because the connection died is a failed sweep, not one
    // to reset the backoff for.
    if (!client.usable) throw new TransientError('the connection closed during the sweep');
    events.swept(mailbox.name);
  }
}
