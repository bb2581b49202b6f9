/** The flags for a mailbox on a test server on this machine: plain IMAP, allowed on loopback only. */
export function imapFlags(port: number, user: string): string[] {
  return ['--imap-host', '127.0.0.1', '--imap-port', String(port), '--imap-user', user, '--imap-tls', 'false'];
}

/**
 * The flags a person reading the mailbox would notice (\Seen, \Flagged, a label): sftoken's own
 * bookkeeping keywords ($Sftoken…, marks of refusals and failed logins) left out.
 */
export function visibleFlags(flags: readonly string[] | undefined): string[] {
  return (flags ?? []).filter((f) => !f.startsWith('$Sftoken'));
}
