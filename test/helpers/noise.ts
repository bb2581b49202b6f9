/**
 * Ordinary mail for a test mailbox, in the mix seen on integration users' mailboxes: Apex
 * exception emails from info@salesforce.com, notices from noreply@salesforce.com, and the rest.
 */
export function noise(i: number): string {
  const date = new Date(Date.UTC(2026, 10, 1, 0, 0, 0) + i * 60_000).toUTCString().replace('GMT', '+0000');
  const kind = i % 10 === 0 ? 'apex' : i % 7 === 0 ? 'notice' : 'other';
  const from = kind === 'apex' ? 'ApexApplication <info@salesforce.com>' : kind === 'notice' ? 'salesforce.com <noreply@salesforce.com>' : `Colleague ${i % 13} <person${i % 13}@acme.com>`;
  const subject =
    kind === 'apex'
      ? `Developer script exception from Acme : SyncBatch : Attempt to de-reference a null object (${i})`
      : kind === 'notice'
        ? `Sandbox refresh complete: uat${i}`
        : `Weekly report ${i}`;
  const body =
    kind === 'apex'
      ? `Apex script unhandled exception by user/organization: 0055g00000AbCdE/00D5g000004XyZa\r\n\r\nFailed to process batch ${i}\r\nTrace: Ab12Cd34Ef56Gh78Ij90Kl${String(i).padStart(2, '0').slice(-2)}\r\n`
      : `Hello,\r\n\r\n${'Lorem ipsum dolor sit amet, consectetur adipiscing elit. '.repeat(8)}\r\n`;
  return `From: ${from}\r\nTo: integration@acme.com\r\nSubject: ${subject}\r\nDate: ${date}\r\nMessage-ID: <noise-${i}@test>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n${body}`;
}
