import type { IssuedAccount } from '../config/issued-accounts.js';
import { withDeadline } from '../util/deadline.js';
import { jwtAssertion } from './jwt.js';

/** What the token endpoint gave: the access token is a secret, the rest is not. */
export interface Issued {
  accessToken: string;
  instanceUrl: string;
  issuedAt: Date;
}

/** Asks the token endpoint once; jsforce in production, a script in tests. */
export type Issuer = (account: IssuedAccount, now: Date, timeoutMs: number) => Promise<Issued>;

const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';

interface TokenResponse {
  access_token?: unknown;
  instance_url?: unknown;
  issued_at?: unknown;
}

/** The real request: jsforce's OAuth2 `requestToken` with the JWT bearer or client-credentials grant. */
export const jsforceIssuer: Issuer = async (account, now, timeoutMs) => {
  process.env.HTTP_TIMEOUT = String(timeoutMs);
  // CommonJS: Node and the bundle hand its exports over as `default`.
  const { OAuth2 } = (await import('jsforce/lib/oauth2.js')).default;
  const { grant } = account;
  const request = async (): Promise<TokenResponse> => {
    if (grant.kind === 'jwt') {
      // No client id or secret beside the assertion: its iss says who asks.
      const oauth2 = new OAuth2({ loginUrl: account.loginUrl });
      const assertion = jwtAssertion({ clientId: grant.clientId, username: account.username, audience: account.loginUrl, privateKey: grant.privateKey, now });
      return oauth2.requestToken({ grant_type: JWT_BEARER, assertion });
    }
    const oauth2 = new OAuth2({ loginUrl: account.loginUrl, clientId: grant.clientId, clientSecret: grant.clientSecret });
    return oauth2.requestToken({ grant_type: 'client_credentials' });
  };
  const answer = await withDeadline(timeoutMs + 1000, request, { expired: () => new Error('Request Timeout') });
  if (typeof answer.access_token !== 'string' || typeof answer.instance_url !== 'string')
    throw Object.assign(new Error('the token endpoint answered without an access token'), { name: 'UNEXPECTED_RESPONSE' });
  const issuedMs = Number(answer.issued_at);
  return { accessToken: answer.access_token, instanceUrl: answer.instance_url, issuedAt: Number.isFinite(issuedMs) && issuedMs > 0 ? new Date(issuedMs) : now };
};

/** Why no access token came: refused for a reason a person fixes, or a failure to retry. */
export type IssueFailure = { kind: 'refused'; detail: string; code: string } | { kind: 'transient'; code: string };

/**
 * Salesforce's documented token-endpoint errors (OAuth 2.0 JWT bearer and client-credentials
 * flows): `invalid_grant` with "user hasn't approved this consumer", "audience is invalid",
 * "expired authorization code" or "invalid assertion", `invalid_client_id`, `invalid_client`.
 */
export function classifyIssueError(err: unknown): IssueFailure {
  // Read as unknown and checked: any thrown value is safe here.
  const e = (err ?? {}) as { name?: unknown; message?: unknown; code?: unknown };
  const name = typeof e.name === 'string' ? e.name : '';
  const message = typeof e.message === 'string' ? e.message : '';
  if (name === 'invalid_grant') {
    if (/approved/i.test(message)) return { kind: 'refused', detail: 'not-approved', code: name };
    if (/audience/i.test(message)) return { kind: 'refused', detail: 'audience', code: name };
    if (/expired/i.test(message)) return { kind: 'refused', detail: 'expired-assertion', code: name };
    if (/user/i.test(message) && /(inactive|not found|invalid)/i.test(message)) return { kind: 'refused', detail: 'user', code: name };
    return { kind: 'refused', detail: 'grant', code: name };
  }
  if (name === 'invalid_client_id' || name === 'invalid_client' || name === 'unauthorized_client') return { kind: 'refused', detail: 'client', code: name };
  if (name === 'unsupported_grant_type') return { kind: 'refused', detail: 'flow', code: name };
  const http = /^ERROR_HTTP_(\d{3})$/.exec(name)?.[1];
  if (http) return { kind: 'transient', code: `HTTP_${http}` };
  if (typeof e.code === 'string') return { kind: 'transient', code: e.code };
  if (/Request Timeout|timed? ?out/i.test(message)) return { kind: 'transient', code: 'TIMEOUT' };
  return { kind: 'transient', code: name || 'UNEXPECTED_RESPONSE' };
}

/** What a person does about a refusal, in one line. */
export function issueAdvice(detail: string): string {
  switch (detail) {
    case 'not-approved':
      return "the user is not pre-authorized for the app: in the External Client App's policies set Permitted Users to Admin approved users are pre-authorized, and give the user the app through a permission set";
    case 'audience':
      return 'the login URL does not match the org: use https://login.salesforce.com (production), https://test.salesforce.com (sandbox) or the My Domain URL';
    case 'expired-assertion':
      return "Salesforce found the assertion expired: check this host's clock (NTP)";
    case 'user':
      return 'the user is inactive, unknown, or not the one the certificate and app are for';
    case 'client':
      return "the consumer key (clientId) or secret is wrong, or the app's OAuth settings do not enable this flow";
    case 'flow':
      return 'the app does not allow this flow: enable JWT bearer (with the certificate) or client credentials (with a run-as user)';
    default:
      return "Salesforce refused the grant: check the app's policies, the certificate and the user";
  }
}
