// The one way sftoken waits: for a piece of work up to a deadline, or for some time. Both end at
// once when the run's stop signal (SIGTERM, a fatal error elsewhere) aborts, so a stop reaches a
// login, an IMAP command, a helper or a webhook the same way.

/** The run's own stop: aborted by nothing, for callers that have none. */
export const NEVER: AbortSignal = new AbortController().signal;

/** Why a wait ended early: the run is stopping. */
export class Stopped extends Error {
  constructor() {
    super('stopping');
    this.name = 'Stopped';
  }
}

interface DeadlineOptions {
  /** The run's stop signal. */
  signal?: AbortSignal;
  /** Run as the deadline passes, before the wait fails: e.g. close the connection the work is on. */
  onExpire?: () => void;
  /** The error the wait fails with past the deadline. */
  expired: () => Error;
}

/**
 * Runs `work` with a signal that aborts at the deadline or when the run stops, and fails at that
 * moment whether or not the work listens to the signal: a library that ignores it (jsforce's
 * login, an IMAP command kept alive by keep-alive lines) still cannot hold the caller.
 */
export async function withDeadline<T>(ms: number, work: (signal: AbortSignal) => Promise<T>, options: DeadlineOptions): Promise<T> {
  const controller = new AbortController();
  const outer = options.signal ?? NEVER;
  let timer: NodeJS.Timeout | undefined;
  let onStop: (() => void) | undefined;
  const ended = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      options.onExpire?.();
      const error = options.expired();
      controller.abort(error);
      reject(error);
    }, ms);
    onStop = () => {
      controller.abort(new Stopped());
      reject(new Stopped());
    };
    if (outer.aborted) onStop();
    else outer.addEventListener('abort', onStop, { once: true });
  });
  try {
    return await Promise.race([work(controller.signal), ended]);
  } finally {
    clearTimeout(timer);
    if (onStop) outer.removeEventListener('abort', onStop);
  }
}

/**
 * Runs `work` now and then every `ms` after it ends, until the run stops: one at a time, so a slow
 * round is never overlapped by the next. `work` handles its own failures.
 */
export async function every(ms: number, signal: AbortSignal, work: () => Promise<void>): Promise<void> {
  while (!signal.aborted) {
    await work();
    await sleep(ms, signal);
  }
}

/** Resolves after `ms`, or as soon as the run stops (never rejects: a stop is checked by the caller). */
export function sleep(ms: number, signal: AbortSignal = NEVER): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

/** Resolves when the signal aborts (at once if it has). */
export function untilAborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}
