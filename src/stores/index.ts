// stores/: the destinations where tokens go, behind one interface; this registry is the only
// place that lists them.
import { NEVER } from '../util/deadline.js';
import { Redactor } from '../util/redact.js';
import { UsageError } from '../util/errors.js';
import { dataloaderBackend } from './dataloader.js';
import { dotenvBackend } from './dotenv.js';
import { execBackend } from './exec.js';
import { fileBackend } from './file.js';
import { keychainBackend } from './keychain.js';
import { passBackend } from './pass.js';
import type { SecretStore, StoreBackend, StoreContext } from './types.js';

export type { SecretStore, StoreContext, TokenMetadata } from './types.js';

interface Registered {
  scheme: string;
  usage: string;
  /** Parses the options now (errors surface at start) and opens the store later. */
  bind(rest: string): { files: string[]; holdsOne: boolean; open: (context: StoreContext) => Promise<SecretStore> };
}

// Each back end's options type stays its own: it is closed over here, never widened.
function register<O>(backend: StoreBackend<O>): Registered {
  return {
    scheme: backend.scheme,
    usage: backend.usage,
    bind: (rest) => {
      const options = backend.parse(rest);
      return { files: backend.files(options), holdsOne: backend.holdsOne?.(options) ?? false, open: (context) => backend.open(options, context) };
    },
  };
}

/** The destinations sftoken can write to; a new one is a file beside these and a line here. */
const BACKENDS: readonly Registered[] = [register(keychainBackend), register(fileBackend), register(dotenvBackend), register(dataloaderBackend), register(execBackend), register(passBackend)];

export const DEFAULT_STORE = keychainBackend.scheme;
export const STORE_USAGE = BACKENDS.map((b) => b.usage).join(', ');

/** A parsed --store spec: checked when the configuration is read, opened when a run starts. */
export interface Destination {
  readonly spec: string;
  /** One token, not one per user: bound to one account (StoreBackend.holdsOne). */
  readonly holdsOne: boolean;
  /** The files it writes (absolute paths); none for a keychain. */
  readonly files: readonly string[];
  open(context: StoreContext): Promise<SecretStore>;
}

/** For opening a store outside a run (reading a secret reference): no passwords, no helpers. */
export const BARE_CONTEXT: StoreContext = { passwordFor: () => null, passwordUsers: [], helperTimeoutMs: 30_000, signal: NEVER, secrets: new Redactor(), warn: () => undefined };

/** Reads `<scheme>[:<rest>]`; an unknown scheme or bad options are a configuration error. */
export function parseDestination(spec: string): Destination {
  const colon = spec.indexOf(':');
  const scheme = colon === -1 ? spec : spec.slice(0, colon);
  const backend = BACKENDS.find((b) => b.scheme === scheme);
  if (!backend) throw new UsageError(`unknown store "${scheme}": use ${STORE_USAGE}`);
  return { spec, ...backend.bind(colon === -1 ? '' : spec.slice(colon + 1)) };
}
