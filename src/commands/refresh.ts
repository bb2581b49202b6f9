import type { Command } from '../app/command.js';
import { UsageError } from '../util/errors.js';

/** `sftoken refresh`: one round of access tokens for jwt and client-credentials accounts. */
export const refresh: Command = {
  command: 'refresh',
  describe: 'issue a fresh access token for each jwt and client-credentials account that is due, and write it where integrations read it (watch does this by itself)',
  groups: ['issue', 'login', 'notify', 'refresh'],
  secrets: [],
  examples: [
    ['$0 refresh --config /etc/sftoken/config.json', 'from cron or a systemd timer, every few minutes'],
    ['$0 refresh --account etl@acme.com', 'one account'],
  ],
  exitCodesHelp:
    'Exit codes: 0 every due account has a fresh token in every destination (or none was due); 1 a request failed and will be retried; 2 bad usage or configuration; 3 Salesforce refused a grant: a person must fix the app or the account.',
  async handler(config, io) {
    if (config.issuedAccounts.length === 0) throw new UsageError('no account to refresh: list accounts with "auth": "jwt" or "client-credentials" in the config file');
    const account = config.refreshAccount;
    if (account && !config.issuedAccounts.some((a) => a.username === account)) {
      throw new UsageError(`--account ${account}: no jwt or client-credentials account by that username (configured: ${config.issuedAccounts.map((a) => a.username).join(', ')})`);
    }
    const [{ buildContext }, { refreshOnce }] = await Promise.all([import('../app/context.js'), import('../app/refresh.js')]);
    return refreshOnce(await buildContext({ ...config, verify: false }, io, { issuing: true }), account);
  },
};
