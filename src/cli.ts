#!/usr/bin/env node
import yargs, { type Argv, type CommandModule } from 'yargs';
import { hideBin } from 'yargs/helpers';
import { ALL_OPTIONS, COMMON_OPTIONS, IMAP_OPTIONS, VERIFY_OPTIONS, loadConfigFile, resolveConfig, type Config, type OptionSpec } from './config.js';
import { UsageError, describe } from './util/errors.js';
// Inlined by the bundler: no file to find at run time, wherever the package is installed.
import pkg from '../package.json' with { type: 'json' };


// stdout carries only records (NDJSON with --json); a library that prints with console.log
// (mailauth does, on a DKIM body-length mismatch) must not be able to break that contract.
console.log = (...args: unknown[]) => console.error(...args);

function fail(message: string, code: number): never {
  process.stderr.write(`sftoken: ${message}\n`);
  process.exit(code);
}

function withOptions<T>(y: Argv<T>, group: string, options: readonly OptionSpec[]): Argv<T> {
  let out = y;
  for (const o of options) {
    out = out.option(o.flag, {
      type: o.type,
      describe: o.describe,
      defaultDescription: o.defaultDescription,
      group,
      ...(o.choices ? { choices: o.choices as string[] } : {}),
    });
  }
  return out;
}

function withCommonOptions<T>(y: Argv<T>): Argv<T> {
  const withConfig = y.option('config', { type: 'string', describe: 'JSON config file (also SFTOKEN_CONFIG)', group: 'Common options:' });
  return withOptions(withConfig, 'Common options:', COMMON_OPTIONS);
}

/** Flags as yargs parsed them (unset ones stay undefined), merged with env and config file. */
function configFrom(argv: Record<string, unknown>): Config {
  const path = (argv.config as string | undefined) ?? process.env.SFTOKEN_CONFIG;
  const file = path ? loadConfigFile(path) : {};
  const flags = Object.fromEntries(ALL_OPTIONS.map((o) => [o.key, argv[o.key]]));
  return resolveConfig({ flags, env: process.env, file, ...(path ? { filePath: path } : {}) });
}

/** ingest and watch take the same options; each loads its own module only when it runs. */
function mailboxCommand(name: string, description: string, example: [string, string], body: (config: Config) => Promise<number>): CommandModule {
  return {
    command: name,
    describe: description,
    builder: (y: Argv) => withOptions(withOptions(y, 'Test login:', VERIFY_OPTIONS), 'Mailbox:', IMAP_OPTIONS).example(...example),
    handler: (argv) => run(() => body(configFrom(argv))),
  };
}

/** Runs a command; a user's mistake becomes one line and exit 2, a bug one line and exit 1. */
async function run(body: () => Promise<number>): Promise<void> {
  try {
    process.exitCode = await body();
  } catch (err) {
    if (err instanceof UsageError) fail(err.message, 2);
    if (process.env.SFTOKEN_LOG_LEVEL === 'debug' || process.env.SFTOKEN_LOG_LEVEL === 'trace') console.error(err);
    fail(`internal error: ${describe(err)} (set SFTOKEN_LOG_LEVEL=debug for details)`, 1);
  }
}

await withCommonOptions(yargs(hideBin(process.argv)))
  .scriptName('sftoken')
  .usage('$0 <command> [options]\n\nKeeps Salesforce integrations alive when their security token changes.')
  .command(
    'replay <path..>',
    'process saved .eml files and directories as one batch',
    (y) =>
      withOptions(y, 'Test login:', VERIFY_OPTIONS)
        .positional('path', { type: 'string', array: true, demandOption: true, describe: 'files, or directories searched for *.eml' })
        .example('$0 replay fixtures --dry-run --trust sender', 'show what would be stored, touching nothing')
        .example('SFTOKEN_SF_USERNAME=int@acme.com SFTOKEN_SF_PASSWORD=… $0 replay reset.eml', 'test the token with one login, then store it in the keychain')
        .example('$0 replay mail/ --no-verify --store file:/run/secrets/sf.json', 'store without a test login, into a file'),
    (argv) =>
      run(async () => {
        const config = configFrom(argv);
        const { replay } = await import('./commands/replay.js');
        return replay(config, argv.path);
      }),
  )
  .command(mailboxCommand('ingest', 'search the mailbox once (--since), process what it finds, exit', ['SFTOKEN_IMAP_PASSWORD=… $0 ingest --since 7d --imap-host imap.acme.com --imap-user int@acme.com', 'recover after downtime'], async (config) => (await import('./commands/ingest.js')).ingest(config)))
  .command(mailboxCommand('watch', 'IDLE on the mailbox; catch up at start and after every reconnect', ['$0 watch --imap-host imap.acme.com --imap-user int@acme.com --health-port 9464', 'run for ever, with /healthz and /metrics'], async (config) => (await import('./commands/watch.js')).watch(config)))
  .demandCommand(1, 'name a command: replay, ingest or watch')
  .strict()
  .version(pkg.version)
  .help()
  .alias('h', 'help')
  .wrap(Math.min(100, process.stdout.columns || 100))
  .fail((msg, err) => {
    if (err && !(err instanceof UsageError)) throw err;
    fail(`${(msg ?? err?.message ?? "bad usage").replace(/\s*\n\s*/g, " ")} (see sftoken --help)`, 2);
  })
  .parseAsync();
