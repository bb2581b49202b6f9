/** The flags for a mailbox on a test server on this machine: plain IMAP, allowed on loopback only. */
export function imapFlags(port: number, user: string): string[] {
  return ['--imap-host', '127.0.0.1', '--imap-port', String(port), '--imap-user', user, '--imap-tls', 'false'];
}
