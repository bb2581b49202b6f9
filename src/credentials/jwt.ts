import { createPrivateKey, sign } from 'node:crypto';

// Salesforce accepts an assertion whose exp is at most 3 minutes ahead.
const ASSERTION_LIFETIME_S = 170;

function base64url(data: Buffer | string): string {
  return Buffer.from(data).toString('base64url');
}

/**
 * The JWT bearer flow's assertion (RFC 7523, as Salesforce documents it): RS256 over
 * `{"alg":"RS256"}` and `{iss: client id, sub: username, aud: login host, exp}`, signed with the
 * private key whose certificate the External Client App holds.
 */
export function jwtAssertion(o: { clientId: string; username: string; audience: string; privateKey: string; now: Date }): string {
  const header = base64url(JSON.stringify({ alg: 'RS256' }));
  const claims = base64url(JSON.stringify({ iss: o.clientId, sub: o.username, aud: o.audience, exp: Math.floor(o.now.getTime() / 1000) + ASSERTION_LIFETIME_S }));
  const signature = sign('sha256', Buffer.from(`${header}.${claims}`), createPrivateKey(o.privateKey));
  return `${header}.${claims}.${base64url(signature)}`;
}
