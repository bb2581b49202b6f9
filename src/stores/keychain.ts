import { TransientError, UsageError, describe } from '../util/errors.js';
import type { SecretStore, StoreBackend, AccessCredential } from './types.js';

type Keytar = Pick<typeof import('keytar'), 'getPassword' | 'setPassword'>;

async function loadKeytar(): Promise<Keytar> {
  try {
    const mod = await import('keytar');
    return mod.default;
  } catch (err) {
    throw new UsageError(
      `the keychain store is unavailable: keytar did not load (${describe(err).split('\n')[0]}); ` + 'install libsecret-1-dev and run `npm rebuild keytar`, or use --store file:<path>',
    );
  }
}

/**
 * The OS keychain through keytar (Secret Service on Linux, Keychain on macOS, Credential
 * Manager on Windows): service = the configured name, account = the username, password = the
 * token, which is what a consumer reads back with keytar.getPassword or secret-tool.
 */
class KeychainStore implements SecretStore {
  readonly description: string;

  private constructor(
    private readonly keytar: Keytar,
    private readonly service: string,
  ) {
    this.description = `keychain:${service}`;
  }

  /** Loads keytar and makes one read, so that a missing Secret Service fails before any login. */
  static async open(service: string): Promise<KeychainStore> {
    const store = new KeychainStore(await loadKeytar(), service);
    try {
      await store.keytar.getPassword(service, '.sftoken-probe');
    } catch (err) {
      throw new UsageError(
        `the keychain store is unavailable: ${describe(err).split('\n')[0]}; ` + 'run inside a desktop or D-Bus session with a Secret Service (gnome-keyring), or use --store file:<path>',
      );
    }
    return store;
  }

  async get(username: string): Promise<string | null> {
    try {
      return await this.keytar.getPassword(this.service, username);
    } catch (err) {
      throw new TransientError(`keychain read failed: ${describe(err).split('\n')[0]}`);
    }
  }

  /** The access token as the password of the same entry: what a jsforce app reads with keytar. */
  async setAccessToken(username: string, credential: AccessCredential): Promise<void> {
    await this.set(username, credential.accessToken);
  }

  async set(username: string, token: string): Promise<void> {
    try {
      await this.keytar.setPassword(this.service, username, token);
    } catch (err) {
      throw new TransientError(`keychain write failed: ${describe(err).split('\n')[0]}`);
    }
  }
}

const DEFAULT_SERVICE = 'salesforce-security-token';

export const keychainBackend: StoreBackend<{ service: string }> = {
  scheme: 'keychain',
  usage: 'keychain[:<service>]',
  parse: (rest) => ({ service: rest || DEFAULT_SERVICE }),
  files: () => [],
  // keytar is a native optional dependency: it loads only when the keychain is really used.
  open: ({ service }) => KeychainStore.open(service),
};
