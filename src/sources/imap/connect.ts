import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { ImapFlow, ImapFlowOptions } from 'imapflow';
import type { ImapCredentials, ImapLimits, Mailbox } from '../../config/index.js';
import { DEFAULT_LIMITS } from '../../config/limits.js';
import { TransientError, UsageError, describe } from '../../util/errors.js';
import { helperEnv } from '../../util/helper-process.js';
import type { Redactor } from '../../util/redact.js';
import { noteDrop, setCommandDeadline, within } from './deadline.js';

// An access-token helper (gcloud, az, oauth2l …) that has not answered by then has hung.
const TOKEN_COMMAND_TIMEOUT_MS = 30_000;
// A socket silent for this long is gone; a talkative but stuck one is caught by the command
// deadline (deadline.ts), which keep-alive lines do not extend.
const SOCKET_TIMEOUT_MS = 5 * 60_000;
// Room for the framing around a message's literal in one FETCH response.
const RESPONSE_FRAMING_BYTES = 64 * 1024;

const run = promisify(execFile);

async function freshAccessToken(command: string, secrets: Redactor, signal: AbortSignal): Promise<string> {
  try {
    // Through the shell, so the command may be a pipeline; the token only ever travels on stdout.
    // Its environment holds no sftoken secret: a helper (az, gcloud, oauth2l) needs none of them.
    const { stdout } = await run('/bin/sh', ['-c', command], { timeout: TOKEN_COMMAND_TIMEOUT_MS, maxBuffer: 1 << 20, env: helperEnv(secrets), signal });
    const token = stdout.trim();
    if (!token) throw new Error('it printed nothing');
    secrets.add(token);
    return token;
  } catch (err) {
    throw new TransientError(`--imap-access-token-command failed: ${describe(err).split('\n')[0]}`);
  }
}

/** The server refused the credentials: a configuration error, and one not to repeat quickly. */
export class ImapLoginRefused extends UsageError {}

/** The fields imapflow adds to its errors; none is guaranteed, so each is read with care. */
function serverSaid(err: unknown): { responseText?: string; serverResponseCode?: string; authenticationFailed?: boolean } {
  if (err === null || typeof err !== 'object') return {};
  const pick = (key: string): unknown => (key in err ? Reflect.get(err, key) : undefined);
  const text = pick('responseText');
  const code = pick('serverResponseCode');
  return {
    ...(typeof text === 'string' ? { responseText: text } : {}),
    ...(typeof code === 'string' ? { serverResponseCode: code } : {}),
    authenticationFailed: pick('authenticationFailed') === true,
  };
}

/** An imapflow error in one line, with the server's own words when it gave any. */
export function imapError(err: unknown): string {
  const e = serverSaid(err);
  const base = describe(err).split('\n')[0] ?? '';
  return e.responseText ? `${base}: ${e.serverResponseCode ? `[${e.serverResponseCode}] ` : ''}${e.responseText}` : base;
}

/** Whether a TLS handshake failed because the other side answered in plain text (an IMAP greeting). */
function isPlainTextAnswer(err: unknown): boolean {
  const code = err !== null && typeof err === 'object' && 'code' in err ? String(err.code) : '';
  return code === 'ERR_SSL_WRONG_VERSION_NUMBER' || /wrong version number|packet length too long|unknown protocol/i.test(describe(err));
}

/** Whether an imapflow error means the server refused our credentials. */
function isAuthFailure(err: unknown): boolean {
  const e = serverSaid(err);
  return e.authenticationFailed === true || e.serverResponseCode === 'AUTHENTICATIONFAILED';
}

async function auth(user: string, credentials: ImapCredentials, secrets: Redactor, signal: AbortSignal): Promise<NonNullable<ImapFlowOptions['auth']>> {
  switch (credentials.kind) {
    case 'password':
      return { user, pass: credentials.password };
    case 'access-token':
      return { user, accessToken: credentials.accessToken };
    case 'token-command':
      return { user, accessToken: await freshAccessToken(credentials.command, secrets, signal) };
  }
}

/**
 * Connects a new ImapFlow (a closed one cannot connect again). A refused login is a UsageError
 * (the configuration is wrong), anything else a TransientError (the network may come back).
 * Nothing the server sends is taken on its word: a literal larger than --max-message-bytes, a
 * line that does not end, or a response that does not, drops the connection (imapflow's caps).
 */
export async function connectImap(settings: Mailbox, limits: ImapLimits, secrets: Redactor, signal: AbortSignal): Promise<ImapFlow> {
  const { ImapFlow } = await import('imapflow');
  const options: ImapFlowOptions = {
    host: settings.host,
    port: settings.port,
    secure: settings.tls,
    auth: await auth(settings.user, settings.credentials, secrets, signal),
    logger: false,
    disableAutoIdle: true,
    // Renewing IDLE now and then notices a connection that died without a word.
    maxIdleTime: limits.idleRestartMs,
    missingIdleCommand: 'NOOP',
    socketTimeout: SOCKET_TIMEOUT_MS,
    connectionTimeout: limits.commandTimeoutMs,
    greetingTimeout: limits.commandTimeoutMs,
    maxLiteralSize: limits.maxMessageBytes,
    maxLineLength: DEFAULT_LIMITS.imapMaxLineBytes,
    maxResponseSize: Math.max(limits.maxMessageBytes, DEFAULT_LIMITS.imapMaxLineBytes) + RESPONSE_FRAMING_BYTES,
    ...(settings.tls ? {} : { doSTARTTLS: false }),
  };
  const client = new ImapFlow(options);
  // An error event with no listener would crash the process; the caller watches 'close'.
  client.on('error', (err: unknown) => noteDrop(client, err));
  setCommandDeadline(client, limits.commandTimeoutMs);
  try {
    await within(client, 'greeting and login', () => client.connect());
  } catch (err) {
    client.close();
    if (isAuthFailure(err)) throw new ImapLoginRefused(`IMAP login refused for ${settings.user} at ${settings.host}: check the password or access token`);
    // OpenSSL's words for a plain-text answer to a TLS hello are no help to a person.
    if (settings.tls && isPlainTextAnswer(err)) {
      throw new UsageError(`IMAP server ${settings.host}:${settings.port} does not speak TLS on that port: use its TLS port (usually 993), or --imap-tls false for a server on this machine`);
    }
    throw new TransientError(`cannot reach IMAP server ${settings.host}:${settings.port}: ${describe(err).split('\n')[0]}`);
  }
  return client;
}

/** Opens the mailbox for reading and settling; a missing mailbox is a configuration error. */
export async function openMailbox(client: ImapFlow, mailbox: string): Promise<{ uidValidity: string; uidNext: number }> {
  try {
    const box = await within(client, 'SELECT', () => client.mailboxOpen(mailbox));
    return { uidValidity: String(box.uidValidity), uidNext: box.uidNext };
  } catch (err) {
    if (err instanceof TransientError) throw err;
    const e = serverSaid(err);
    if (e.serverResponseCode === 'NONEXISTENT' || /doesn't exist|not exist|unknown mailbox/i.test(e.responseText ?? describe(err))) {
      throw new UsageError(`mailbox "${mailbox}" does not exist on the IMAP server`);
    }
    throw new TransientError(`cannot open mailbox "${mailbox}": ${imapError(err)}`);
  }
}
