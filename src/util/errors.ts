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

export function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** The system error code (ENOENT, EACCES …) of a Node error, if it has one. */
export function errnoCode(err: unknown): string | undefined {
  const code = err instanceof Error && 'code' in err ? err.code : undefined;
  return typeof code === 'string' ? code : undefined;
}
