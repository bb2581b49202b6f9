/** One method's verdict in an Authentication-Results header (RFC 8601). */
interface AuthResult {
  method: string;
  result: string;
  props: Record<string, string>;
}

interface AuthResultsHeader {
  authservId: string;
  results: AuthResult[];
}

function stripComments(s: string): string {
  let out = s;
  for (let prev = ''; prev !== out;) {
    prev = out;
    out = out.replace(/\([^()]*\)/g, ' ');
  }
  return out;
}

/** Parses the value of one Authentication-Results header; null when it is not one. */
export function parseAuthResults(value: string): AuthResultsHeader | null {
  const parts = stripComments(value.replace(/\r?\n[ \t]+/g, ' '))
    .split(';')
    .map((p) => p.trim());
  const authservId = parts.shift()?.split(/\s+/)[0]?.toLowerCase();
  if (!authservId) return null;
  const results: AuthResult[] = [];
  for (const part of parts) {
    const [head, ...rest] = part.split(/\s+/).filter(Boolean);
    const m = /^([a-z0-9-]+)=([a-z]+)$/i.exec(head ?? '');
    if (!m) continue;
    const props: Record<string, string> = {};
    for (const kv of rest) {
      const p = /^([a-z0-9-]+\.[a-z0-9-]+)=(.+)$/i.exec(kv);
      if (p) props[(p[1] as string).toLowerCase()] = (p[2] as string).replace(/^"|"$/g, '').toLowerCase();
    }
    results.push({ method: (m[1] as string).toLowerCase(), result: (m[2] as string).toLowerCase(), props });
  }
  return { authservId, results };
}

// Final delivery into the mailbox (Dovecot's or Cyrus's LMTP) adds a Received line above the
// verdict its MTA wrote. Only the mail system itself can put a line at the top, so leading ones
// are passed over; the first other Received line is the hop that took the mail in.
const LOCAL_DELIVERY = /\bwith\s+LMTPS?A?\b/i;

/**
 * The Authentication-Results headers that the named receiving server added: those with its
 * authserv-id above the topmost Received line that is not a local delivery (the hop that took
 * the mail in). Everything below that line was in the message before, so the sender could
 * have written it, forged Received lines naming the server included; a search for the
 * server's "own" Received line would find those.
 */
export function trustedAuthResults(headerLines: ReadonlyArray<{ key: string; line: string }>, authservId: string): AuthResultsHeader[] {
  const id = authservId.toLowerCase();
  const value = (line: string) => line.slice(line.indexOf(':') + 1);
  const border = headerLines.findIndex((h) => h.key === 'received' && !LOCAL_DELIVERY.test(h.line));
  return headerLines
    .slice(0, border < 0 ? headerLines.length : border)
    .filter((h) => h.key === 'authentication-results')
    .map((h) => parseAuthResults(value(h.line)))
    .filter((r): r is AuthResultsHeader => r !== null && r.authservId === id);
}
