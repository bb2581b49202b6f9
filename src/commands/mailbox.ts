import type { ImapFlow } from 'imapflow';
import type { Config } from '../config.js';
import type { Handled } from '../pipeline.js';
import { UsageError } from '../util/errors.js';
import { resolveSecret } from '../config/secrets.js';
import { isLoopback } from '../util/loopback.js';
import type { ImapSettings } from '../sources/imap/connect.js';
import { findCandidates } from '../sources/imap/search.js';
import { parseAfter, settle, toSettle, type AfterMode } from '../sources/imap/settle.js';
import { runBatch, type RunContext } from './run.js';

/** Everything ingest and watch need to reach the mailbox, checked before anything connects. */
export async function mailboxSettings(config: Config, env: NodeJS.ProcessEnv = process.env): Promise<{ imap: ImapSettings; after: AfterMode }> {
  if (!config.imapHost) throw new UsageError('--imap-host is required (or SFTOKEN_IMAP_HOST)');
  if (!config.imapUser) throw new UsageError('--imap-user is required (or SFTOKEN_IMAP_USER)');
  if (!config.imapTls && !isLoopback(config.imapHost)) {
    throw new UsageError(`refusing to send IMAP credentials unencrypted to ${config.imapHost}: --imap-tls false is for a loopback server only`);
  }
  const after = parseAfter(config.after);
  const fromEnvOrFile = async (envName: string, ref: unknown, what: string): Promise<string | null> => {
    if (env[envName]) return resolveSecret({ env: envName }, envName, env);
    return ref === undefined ? null : resolveSecret(ref, `config file: ${what}`, env);
  };
  const accessToken = config.imapAccessTokenCommand ? null : await fromEnvOrFile('SFTOKEN_IMAP_ACCESS_TOKEN', config.imapAccessToken, 'imapAccessToken');
  const password = accessToken || config.imapAccessTokenCommand ? null : await fromEnvOrFile('SFTOKEN_IMAP_PASSWORD', config.imapPassword, 'imapPassword');
  if (!password && !accessToken && !config.imapAccessTokenCommand) {
    throw new UsageError('no IMAP credentials: set SFTOKEN_IMAP_PASSWORD, SFTOKEN_IMAP_ACCESS_TOKEN or --imap-access-token-command');
  }
  return {
    after,
    imap: {
      host: config.imapHost,
      port: config.imapPort ?? (config.imapTls ? 993 : 143),
      user: config.imapUser,
      tls: config.imapTls,
      mailbox: config.mailbox,
      password,
      accessToken,
      accessTokenCommand: config.imapAccessTokenCommand,
      idleRestartMs: config.idleRestart * 1000,
    },
  };
}

/** The ledger's key for a mailbox: the same folder on another account or server is another. */
export function mailboxKey(imap: ImapSettings): string {
  return `${imap.user}@${imap.host}:${imap.port}/${imap.mailbox}`;
}

/**
 * Searches one open mailbox, runs the candidates as one batch and settles what reached a final
 * outcome. Shared by ingest and by every catch-up of watch.
 */
export async function sweep(
  ctx: RunContext,
  client: ImapFlow,
  scope: { mailbox: string; uidValidity: string; since: Date | null; afterUid: number },
  after: AfterMode,
): Promise<{ handled: Handled[]; highestUid: number }> {
  const { messages, highestUid } = await findCandidates(client, {
    ...scope,
    forwarders: ctx.config.trustedForwarders,
    skipHandled: after.kind === 'flag',
    maxMessageBytes: ctx.config.maxMessageBytes,
  });
  ctx.log.debug('mailbox searched', { mailbox: scope.mailbox, candidates: messages.length, highestUid });
  const handled = messages.length ? await runBatch(ctx, messages) : [];
  if (!ctx.config.dryRun) await settle(client, toSettle(handled), after, ctx.log);
  return { handled, highestUid };
}
