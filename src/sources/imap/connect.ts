import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { ImapFlow, ImapFlowOptions } from 'imapflow';
import type { ImapCredentials, Mailbox } from '../../config/index.js';
import { TransientError, UsageError, describe } from '../../util/errors.js';
import { helperEnv } from '../../util/helper-process.js';
import { registerSecret } from '../../util/redact.js';

// An access-token helper (gcloud, az, oauth2l …) that has not answered by then has hung.
const TOKEN_COMMAND_TIMEOUT_MS = 30_000;
// A server that does not answer a command for this long is treated as gone.
const SOCKET_TIMEOUT_MS = 5 * 60_000;

const run = promisify(execFile);

async function freshAccessToken(command: string): Promise<string> {
  try {
    // Through the shell, so the command may be a pipeline; the token only ever travels on stdout.
    // Its environment holds no sftoken secret: a helper (az, gcloud, oauth2l) needs none of them.
    const { stdout } = await run('/bin/sh', ['-c', command], { timeout: TOKEN_COMMAND_TIMEOUT_MS, maxBuffer: 1 << 20, env: helperEnv() });
    const token = stdout.trim();
    if (!token) throw new Error('it printed nothing');
    registerSecret(token);
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

/** Whether an imapflow error means the server refused our credentials. */
function isAuthFailure(err: unknown): boolean {
  const e = serverSaid(err);
  return e.authenticationFailed === true || e.serverResponseCode === 'AUTHENTICATIONFAILED';
}

async function auth(user: string, credentials: ImapCredentials): Promise<NonNullable<ImapFlowOptions['auth']>> {
  switch (credentials.kind) {
    case 'password':
      return { user, pass: credentials.password };
    case 'access-token':
      return { user, accessToken: credentials.accessToken };
    case 'token-command':
      return { user, accessToken: await freshAccessToken(credentials.command) };
  }
}

/**
 * Connects a new ImapFlow (a closed one cannot connect again). A refused login is a UsageError
 * (the configuration is wrong), anything else a TransientError (the network may come back).
 */
export async function connectImap(settings: Mailbox, idleRestartMs: number): Promise<ImapFlow> {
  const { ImapFlow } = await import('imapflow');
  const options: ImapFlowOptions = {
    host: settings.host,
    port: settings.port,
    secure: settings.tls,
    auth: await auth(settings.user, settings.credentials),
    logger: false,
    disableAutoIdle: true,
    // Renewing IDLE now and then notices a connection that died without a word.
    maxIdleTime: idleRestartMs,
    missingIdleCommand: 'NOOP',
    socketTimeout: SOCKET_TIMEOUT_MS,
    ...(settings.tls ? {} : { doSTARTTLS: false }),
  };
  const client = new ImapFlow(options);
  // An error event with no listener would crash the process; the caller watches 'close'.
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (err) {
    client.close();
    if (isAuthFailure(err)) throw new ImapLoginRefused(`IMAP login refused for ${settings.user} at ${settings.host}: check the password or access token`);
    throw new TransientError(`cannot reach IMAP server ${settings.host}:${settings.port}: ${describe(err).split('\n')[0]}`);
  }
  return client;
}

/** Opens the mailbox for reading and settling; a missing mailbox is a configuration error. */
export async function openMailbox(client: ImapFlow, mailbox: string): Promise<{ uidValidity: string; uidNext: number }> {
  try {
    const box = await client.mailboxOpen(mailbox);
    return { uidValidity: String(box.uidValidity), uidNext: box.uidNext };
  } catch (err) {
    const e = serverSaid(err);
    if (e.serverResponseCode === 'NONEXISTENT' || /doesn't exist|not exist|unknown mailbox/i.test(e.responseText ?? describe(err))) {
      throw new UsageError(`mailbox "${mailbox}" does not exist on the IMAP server`);
    }
    throw new TransientError(`cannot open mailbox "${mailbox}": ${imapError(err)}`);
  }
}
