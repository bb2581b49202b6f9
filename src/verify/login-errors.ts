/**
 * What a failed login means, read from the error jsforce throws: SOAP faults arrive as
 * `Error("<CODE>: <text>")`, OAuth errors as an Error whose name is the OAuth error code, and
 * network trouble as node-fetch errors with a system code. Pure, so every case is testable.
 */
export type LoginFailure =
  /** The credentials were refused: a failed login Salesforce counts toward lockout. */
  | { kind: 'rejected'; code: string }
  | { kind: 'password-expired'; code: string }
  /** The login API itself is not available to this user or org: a configuration matter. */
  | { kind: 'unavailable'; code: string }
  /**
   * Salesforce says the security token's login path itself is closed (DESIGN §5): SOAP login()
   * off in this org, not in this API version, or not allowed for this user. Says nothing of the token.
   */
  | { kind: 'path-closed'; code: string; path: ClosedPath }
  /** May pass by itself. `uncertain`: the request may have reached Salesforce and counted. */
  | { kind: 'transient'; code: string; uncertain: boolean };

export type ClosedPath = 'soap-disabled' | 'soap-version' | 'soap-permission';

const REJECTED = new Set(['INVALID_LOGIN', 'LOGIN_MUST_USE_SECURITY_TOKEN', 'invalid_grant']);
const UNAVAILABLE = new Set(['UNSUPPORTED_API_VERSION', 'API_DISABLED_FOR_ORG', 'API_CURRENTLY_DISABLED', 'unsupported_grant_type', 'invalid_client_id', 'invalid_client']);
const EXPIRED = new Set(['INVALID_OPERATION_WITH_EXPIRED_PASSWORD', 'PASSWORD_EXPIRED']);
// Answers that say "not now": the login did not happen and may be sent again later.
const BUSY = new Set(['REQUEST_LIMIT_EXCEEDED', 'SERVER_UNAVAILABLE', 'SERVICE_UNAVAILABLE']);
// Network failures where the request surely never reached Salesforce.
const NOT_SENT = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ENETUNREACH',
  'ENETDOWN',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'CERT_HAS_EXPIRED',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
]);

export function classifyLoginError(err: unknown): LoginFailure {
  // Every field is read as unknown and checked before use, so any thrown value is safe here.
  const e = (err ?? {}) as { name?: unknown; message?: unknown; code?: unknown };
  const message = typeof e.message === 'string' ? e.message : String(err);
  const name = typeof e.name === 'string' ? e.name : '';
  const sysCode = typeof e.code === 'string' ? e.code : '';

  if (/password has expired/i.test(message)) return { kind: 'password-expired', code: 'PASSWORD_EXPIRED' };
  const fault = /^([A-Z][A-Z_]{3,}):/.exec(message)?.[1];
  const code = fault ?? (/^[a-z_]+$/.test(name) ? name : '');
  if (code) {
    // Salesforce's words for each closed path (login() reference and its release notes):
    // "SOAP API login() is disabled by default in this org", "...not available in the API
    // version specified", and INSUFFICIENT_ACCESS without the Use Any API Auth permission.
    if (/login\(\)? is disabled/i.test(message)) return { kind: 'path-closed', code, path: 'soap-disabled' };
    if (/login.*not available in the API version/i.test(message)) return { kind: 'path-closed', code, path: 'soap-version' };
    if (code === 'INSUFFICIENT_ACCESS') return { kind: 'path-closed', code, path: 'soap-permission' };
    if (REJECTED.has(code)) return { kind: 'rejected', code };
    if (EXPIRED.has(code)) return { kind: 'password-expired', code };
    if (UNAVAILABLE.has(code)) return { kind: 'unavailable', code };
    if (BUSY.has(code)) return { kind: 'transient', code, uncertain: false };
  }
  const http = /^ERROR_HTTP_(\d{3})$/.exec(name)?.[1];
  if (http) return { kind: 'transient', code: `HTTP_${http}`, uncertain: false };
  if (sysCode) return { kind: 'transient', code: sysCode, uncertain: !NOT_SENT.has(sysCode) };
  if (name === 'AbortError' || /Request Timeout|timed? ?out/i.test(message)) return { kind: 'transient', code: 'TIMEOUT', uncertain: true };
  // An unknown fault code from Salesforce is not proof that the token is bad: retried, and
  // counted as a possible failure. A body that is no fault at all (a proxy's or a load
  // balancer's 503 page) means the login service never judged the credentials: not counted.
  if (code) return { kind: 'transient', code, uncertain: true };
  return { kind: 'transient', code: 'UNEXPECTED_RESPONSE', uncertain: false };
}
