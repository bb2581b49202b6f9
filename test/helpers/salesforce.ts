import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { onCleanup } from './cleanup.js';
import { createHmac, createPublicKey, randomBytes, verify } from 'node:crypto';
import { fingerprint } from '../../src/util/fingerprint.js';

/** A JWT's claims, unverified: who it says it is for, to look up what to verify it with. */
function decodeClaims(assertion: string): Record<string, unknown> | null {
  try {
    const claims: unknown = JSON.parse(Buffer.from(assertion.split('.')[1] ?? '', 'base64url').toString('utf8'));
    return claims !== null && typeof claims === 'object' && !Array.isArray(claims) ? { ...claims } : null;
  } catch {
    return null;
  }
}

/**
 * A stand-in for Salesforce's login endpoints, served over real HTTP so that the real jsforce
 * talks to it: POST /services/Soap/u/<version> (partner SOAP login) and POST
 * /services/oauth2/token (grant_type=password), answering with Salesforce's documented success
 * and fault bodies. Users are known by password and by the fingerprint of their current token,
 * so tests never need to spell a token out.
 */
export interface StandInUser {
  username: string;
  password: string;
  /** The current token's fingerprint; '*' accepts any token (for load, not for correctness). */
  tokenFingerprint: string;
  passwordExpired?: boolean;
  /**
   * The login paths closing (DESIGN §5), as this user's org answers: SOAP login() off in the org
   * (orgs created from Winter '26), the user without Use Any API Auth, the OAuth username-password
   * flow blocked (orgs since Summer '23; Connected Apps from 2027-02-20).
   */
  soapLogin?: 'disabled' | 'no-permission';
  oauthFlow?: 'blocked';
}

export type StandInMode = 'normal' | 'unavailable' | 'slow' | 'reset' | 'api-disabled';

/** An External Client App as the token endpoint knows it: JWT bearer with a certificate, or client credentials with a run-as user. */
export type StandInApp = { grant: 'jwt'; clientId: string; certificate: string; preAuthorized: string[] } | { grant: 'client-credentials'; clientId: string; clientSecret: string; runAs: string };

export interface LoginAttemptSeen {
  endpoint: 'soap' | 'oauth';
  /** For the token endpoint: the grant asked for. */
  grant?: string;
  username: string;
  apiVersion: string | null;
  outcome: 'ok' | 'fault' | 'unavailable' | 'slow' | 'reset';
}

const ORG_ID = '00D5g000004XyZaEAK';
const USER_ID = '0055g00000AbCdEAAZ';
// SOAP login() is gone from API 65.0 on (Summer '27).
const FIRST_VERSION_WITHOUT_SOAP_LOGIN = 65;

function xmlUnescape(s: string): string {
  return s
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, '&');
}

function soapFault(code: string, message: string): string {
  return (
    '<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" ' +
    'xmlns:sf="urn:fault.partner.soap.sforce.com" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body><soapenv:Fault>' +
    `<faultcode>sf:${code}</faultcode><faultstring>${code}: ${message}</faultstring><detail><sf:LoginFault xsi:type="sf:LoginFault">` +
    `<sf:exceptionCode>${code}</sf:exceptionCode><sf:exceptionMessage>${message}</sf:exceptionMessage></sf:LoginFault></detail>` +
    '</soapenv:Fault></soapenv:Body></soapenv:Envelope>'
  );
}

function soapLoginResponse(base: string, version: string, username: string, passwordExpired: boolean): string {
  return (
    '<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" ' +
    'xmlns="urn:partner.soap.sforce.com" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body><loginResponse><result>' +
    `<metadataServerUrl>${base}/services/Soap/m/${version}/${ORG_ID}</metadataServerUrl><passwordExpired>${passwordExpired}</passwordExpired>` +
    `<sandbox>false</sandbox><serverUrl>${base}/services/Soap/u/${version}/${ORG_ID}</serverUrl>` +
    `<sessionId>${ORG_ID}!AQ4AQStandInSessionNotASecretxxxxxxxxxxxxxxxxxx</sessionId><userId>${USER_ID}</userId><userInfo>` +
    `<accessibilityMode>false</accessibilityMode><currencySymbol>$</currencySymbol><orgDefaultCurrencyIsoCode>USD</orgDefaultCurrencyIsoCode>` +
    `<organizationId>${ORG_ID}</organizationId><organizationMultiCurrency>false</organizationMultiCurrency><organizationName>Acme</organizationName>` +
    `<userEmail>${username}</userEmail><userFullName>Integration User</userFullName><userId>${USER_ID}</userId><userLanguage>en_US</userLanguage>` +
    `<userName>${username}</userName><userTimeZone>America/Los_Angeles</userTimeZone><userType>Standard</userType></userInfo>` +
    '</result></loginResponse></soapenv:Body></soapenv:Envelope>'
  );
}

export class SalesforceStandIn {
  readonly attempts: LoginAttemptSeen[] = [];
  /** What Setup's Login History would show per attempt: the one place a blocked flow is named. */
  readonly loginHistory: Array<{ username: string; status: string }> = [];
  mode: StandInMode = 'normal';
  slowMs = 3000;
  /** Delay before every normal answer, to widen the window in which a test can interrupt. */
  latencyMs = 0;
  /** Failed logins after which a user is locked out, as Salesforce's default policy does. */
  lockAfter = 10;
  /** Called once an answer has been sent in full: lets a test act at exactly that moment. */
  onAnswered: ((seen: LoginAttemptSeen) => void) | null = null;
  oauthClient = { id: 'standin-client-id', secret: 'standin-client-secret' };
  /** External Client Apps by consumer key. */
  readonly apps = new Map<string, StandInApp>();
  /** The token endpoint's clock: a test that drives the client's clock drives this one the same way. */
  now: () => number = () => Date.now();
  /** Every access token issued, by fingerprint: a test reads back destinations against it. */
  readonly issuedTokens: Array<{ username: string; grant: string; fingerprint: string }> = [];
  private readonly users = new Map<string, StandInUser & { failures: number }>();

  private constructor(private readonly server: Server) {}

  static async start(): Promise<SalesforceStandIn> {
    const server = createServer();
    const standIn = new SalesforceStandIn(server);
    // A client killed mid-request (the crash tests do that) aborts the body: not the stand-in's error.
    server.on('request', (req: IncomingMessage, res: ServerResponse) => void standIn.handle(req, res).catch(() => res.destroy()));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    onCleanup(() => standIn.stop());
    return standIn;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  addUser(user: StandInUser): void {
    this.users.set(user.username.toLowerCase(), { ...user, failures: 0 });
  }

  /** A reset in Salesforce: the user's token becomes another one. */
  setToken(username: string, tokenFingerprint: string): void {
    const u = this.users.get(username.toLowerCase());
    if (u) u.tokenFingerprint = tokenFingerprint;
  }

  attemptsFor(username: string): number {
    return this.attempts.filter((a) => a.username === username.toLowerCase()).length;
  }

  isLocked(username: string): boolean {
    return (this.users.get(username.toLowerCase())?.failures ?? 0) >= this.lockAfter;
  }

  stop(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  /** Who a JWT bearer or client-credentials request is for: the assertion's sub, or the app's run-as user. */
  private grantUser(form: URLSearchParams): string | null {
    const assertion = form.get('assertion');
    if (assertion) {
      const claims = decodeClaims(assertion);
      return typeof claims?.sub === 'string' ? claims.sub : null;
    }
    const app = this.apps.get(form.get('client_id') ?? '');
    return app?.grant === 'client-credentials' ? app.runAs : null;
  }

  /**
   * The token endpoint's JWT bearer and client-credentials grants, as Salesforce documents them:
   * the assertion's RS256 signature checked against the app's certificate, and its iss, sub, aud
   * and exp; the client id and secret checked; errors in Salesforce's words.
   */
  private tokenGrant(form: URLSearchParams, seen: LoginAttemptSeen, json: (status: number, payload: object) => void): void {
    const refuse = (error: string, description: string) => {
      seen.outcome = 'fault';
      json(400, { error, error_description: description });
    };
    const grant = form.get('grant_type');
    let username: string;
    let app: StandInApp | undefined;
    if (grant === 'urn:ietf:params:oauth:grant-type:jwt-bearer') {
      const assertion = form.get('assertion') ?? '';
      const [header = '', payload = '', signature = ''] = assertion.split('.');
      const claims = decodeClaims(assertion);
      app = this.apps.get(typeof claims?.iss === 'string' ? claims.iss : '');
      if (!claims || app?.grant !== 'jwt') return refuse('invalid_client_id', 'client identifier invalid');
      if (!verify('sha256', Buffer.from(`${header}.${payload}`), createPublicKey(app.certificate), Buffer.from(signature, 'base64url'))) return refuse('invalid_grant', 'invalid assertion');
      if (claims.aud !== this.url) return refuse('invalid_grant', 'audience is invalid');
      const exp = typeof claims.exp === 'number' ? claims.exp * 1000 : 0;
      const now = this.now();
      if (exp <= now || exp > now + 5 * 60_000) return refuse('invalid_grant', 'expired authorization code');
      username = typeof claims.sub === 'string' ? claims.sub.toLowerCase() : '';
      if (!app.preAuthorized.includes(username)) return refuse('invalid_grant', "user hasn't approved this consumer");
    } else if (grant === 'client_credentials') {
      app = this.apps.get(form.get('client_id') ?? '');
      if (app?.grant !== 'client-credentials' || form.get('client_secret') !== app.clientSecret) return refuse('invalid_client', 'invalid client credentials');
      username = app.runAs;
    } else {
      return refuse('unsupported_grant_type', 'grant type not supported');
    }
    const n = this.issuedTokens.length + 1;
    const accessToken = `${ORG_ID}!AQ${randomBytes(24).toString('base64url').replace(/[-_]/g, 'x')}${n}`;
    this.issuedTokens.push({ username, grant, fingerprint: fingerprint(accessToken) });
    const issuedAt = String(this.now());
    const id = `${this.url}/id/${ORG_ID}/${USER_ID}`;
    json(200, {
      access_token: accessToken,
      instance_url: this.url,
      id,
      token_type: 'Bearer',
      issued_at: issuedAt,
      signature: createHmac('sha256', app.clientId)
        .update(id + issuedAt)
        .digest('base64'),
    });
  }

  /** Checks password + token as Salesforce does, counting failures toward lockout. */
  private check(username: string, secret: string): { ok: true; user: StandInUser } | { ok: false } {
    const user = this.users.get(username.toLowerCase());
    if (!user || user.failures >= this.lockAfter) {
      if (user) user.failures++;
      return { ok: false };
    }
    const token = secret.slice(user.password.length);
    const ok = secret.startsWith(user.password) && (user.tokenFingerprint === '*' ? token.length > 0 : fingerprint(token) === user.tokenFingerprint);
    if (!ok) {
      user.failures++;
      return { ok: false };
    }
    user.failures = 0;
    return { ok: true, user };
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const soap = /^\/services\/Soap\/u\/(\d+\.\d)$/.exec(req.url ?? '');
    const oauth = req.url === '/services/oauth2/token';
    if (req.method !== 'POST' || (!soap && !oauth)) {
      res.writeHead(404).end();
      return;
    }
    const form = oauth ? new URLSearchParams(body) : null;
    const grant = form?.get('grant_type') ?? undefined;
    const username = (form ? (form.get('username') ?? this.grantUser(form)) : xmlUnescape(/<username>([^<]*)<\/username>/.exec(body)?.[1] ?? '')) ?? '';
    const seen: LoginAttemptSeen = { endpoint: soap ? 'soap' : 'oauth', username: username.toLowerCase(), apiVersion: soap?.[1] ?? null, outcome: 'ok', ...(grant ? { grant } : {}) };
    this.attempts.push(seen);
    res.once('finish', () => this.onAnswered?.(seen));

    if (this.mode === 'reset') {
      seen.outcome = 'reset';
      req.socket.destroy();
      return;
    }
    if (this.mode === 'slow') {
      seen.outcome = 'slow';
      await new Promise((r) => setTimeout(r, this.slowMs));
      // The client gave up (that is the point of this mode): nobody is left to answer.
      if (req.socket.destroyed || !this.server.listening) return;
    }
    if (this.latencyMs) await new Promise((r) => setTimeout(r, this.latencyMs));
    if (this.mode === 'unavailable') {
      seen.outcome = 'unavailable';
      res.writeHead(503, { 'Content-Type': 'text/html' }).end('<html><body><h1>Service Unavailable</h1><p>Salesforce is down for maintenance.</p></body></html>');
      return;
    }
    if (soap) {
      const version = soap[1] as string;
      const password = xmlUnescape(/<password>([^<]*)<\/password>/.exec(body)?.[1] ?? '');
      let fault: [string, string] | null = null;
      const user = this.users.get(username.toLowerCase());
      // The fault code at 65.0+ is not documented; its words are, and they are what counts.
      if (Number(version) >= FIRST_VERSION_WITHOUT_SOAP_LOGIN) fault = ['INVALID_OPERATION', 'The SOAP Login operation is not available in the API version specified.'];
      else if (this.mode === 'api-disabled') fault = ['API_DISABLED_FOR_ORG', 'API is not enabled for this Organization or Partner'];
      else if (user?.soapLogin === 'disabled') fault = ['INVALID_OPERATION', 'SOAP API login() is disabled by default in this org. Contact the org administrator to enable SOAP API login().'];
      else if (user?.soapLogin === 'no-permission') fault = ['INSUFFICIENT_ACCESS', 'insufficient access rights on cross-reference id'];
      if (fault) {
        seen.outcome = 'fault';
        res.writeHead(500, { 'Content-Type': 'text/xml; charset=utf-8' }).end(soapFault(...fault));
        return;
      }
      const result = this.check(username, password);
      if (!result.ok) {
        seen.outcome = 'fault';
        res.writeHead(500, { 'Content-Type': 'text/xml; charset=utf-8' }).end(soapFault('INVALID_LOGIN', 'Invalid username, password, security token; or user locked out.'));
        return;
      }
      res.writeHead(200, { 'Content-Type': 'text/xml; charset=utf-8' }).end(soapLoginResponse(this.url, version, username, result.user.passwordExpired ?? false));
      return;
    }
    const json = (status: number, payload: object) => res.writeHead(status, { 'Content-Type': 'application/json;charset=UTF-8' }).end(JSON.stringify(payload));
    if (!form) return;
    if (grant !== 'password') return void this.tokenGrant(form, seen, json);
    if (this.mode === 'api-disabled') {
      seen.outcome = 'fault';
      return void json(400, { error: 'unsupported_grant_type', error_description: 'grant type not supported' });
    }
    if (form.get('client_id') !== this.oauthClient.id || form.get('client_secret') !== this.oauthClient.secret) {
      seen.outcome = 'fault';
      return void json(400, { error: 'invalid_client_id', error_description: 'client identifier invalid' });
    }
    if (this.users.get(username.toLowerCase())?.oauthFlow === 'blocked') {
      seen.outcome = 'fault';
      this.loginHistory.push({ username: username.toLowerCase(), status: 'Username-Password Flow Disabled' });
      return void json(400, { error: 'invalid_grant', error_description: 'authentication failure' });
    }
    const result = this.check(username, form.get('password') ?? '');
    if (!result.ok) {
      seen.outcome = 'fault';
      return void json(400, { error: 'invalid_grant', error_description: 'authentication failure' });
    }
    json(200, {
      access_token: `${ORG_ID}!AR8AQStandInAccessTokenNotASecretxxxxxxxxxxxxxx`,
      instance_url: this.url,
      id: `${this.url}/id/${ORG_ID}/${USER_ID}`,
      token_type: 'Bearer',
      issued_at: String(Date.now()),
      signature: 'c3RhbmQtaW4tc2lnbmF0dXJl',
    });
  }
}
