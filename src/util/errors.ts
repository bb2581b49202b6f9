/**
 * An error the user can cause and fix (bad option, unreadable config, unavailable store):
 * printed as one line, exit code 2, never a stack trace.
 */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** A failure that may pass by itself (network, store locked): the message is left for a retry. */
export class TransientError extends Error {
  override readonly name = 'TransientError';
}

/**
 * A destination already holds a token from a newer email than the one offered: writing would take
 * it back in time (a replica that was paused, an old copy). Not a failure: nothing to retry.
 */
export class NewerHeld extends Error {
  override readonly name = 'NewerHeld';
  constructor(
    readonly destination: string,
    readonly heldOrderTime: string,
  ) {
    super(`${destination} holds a token from a newer email (${heldOrderTime})`);
  }
}

/** Throws NewerHeld when what a destination holds was ordered after what is offered. */
export function refuseOlder(destination: string, held: string | null | undefined, offered: string): void {
  if (held && Date.parse(held) > Date.parse(offered)) throw new NewerHeld(destination, held);
}

export function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** The system error code (ENOENT, EACCES …) of a Node error, if it has one. */
export function errnoCode(err: unknown): string | undefined {
  const code = err instanceof Error && 'code' in err ? err.code : undefined;
  return typeof code === 'string' ? code : undefined;
}
