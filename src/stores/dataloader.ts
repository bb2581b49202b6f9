import { createCipheriv, randomBytes } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import type { DOMParser as XmlParser, Document, Element } from '@xmldom/xmldom';
import { editInPlace, tidy, writableFolder } from '../files/atomic-file.js';
import { tokenFileMode } from '../files/safe-path.js';
import { UsageError, describe, errnoCode, refuseOlder } from '../util/errors.js';
import type { SecretStore, StoreBackend, StoreContext, AccessCredential, TokenMetadata } from './types.js';
import { heldOrderTime, stampOrder } from './order-marker.js';

interface DataLoaderOptions {
  /** config.properties, or a process-conf.xml (by its .xml name). */
  path: string;
  keyFile: string;
  /** The file's mode after a write: 0600, or 0640 (?mode=0640) for a group that reads it. */
  mode: number;
}

// Data Loader uses the first 16 bytes of its key file as an AES-128 key (DESIGN §7).
const KEY_BYTES = 16;

function parse(rest: string): DataLoaderOptions {
  const [path = '', query = ''] = rest.split('?', 2);
  const params = new URLSearchParams(query);
  const keyFile = params.get('key') ?? '';
  if (!path || !keyFile) throw new UsageError('--store dataloader needs the config file and the key file: dataloader:<path>?key=<keyfile>');
  const abs = (p: string) => (isAbsolute(p) ? p : resolve(p));
  return { path: abs(path), keyFile: abs(keyFile), mode: tokenFileMode(params, `--store dataloader:${path}`) };
}

async function readKey(keyFile: string): Promise<Buffer> {
  let bytes: Buffer;
  try {
    bytes = await readFile(keyFile);
  } catch (err) {
    throw new UsageError(`Data Loader key file ${keyFile}: ${errnoCode(err) ?? describe(err)}`);
  }
  if (bytes.length < KEY_BYTES) throw new UsageError(`Data Loader key file ${keyFile} is shorter than ${KEY_BYTES} bytes`);
  return bytes.subarray(0, KEY_BYTES);
}

/**
 * Data Loader's text form of bytes: two lowercase hex digits each, a negative (signed Java) byte
 * b written as 127 − b, so 0x80–0xFF come out as ff…80.
 */
function dataLoaderHex(bytes: Buffer): string {
  return [...bytes].map((b) => (b < 0x80 ? b : 383 - b).toString(16).padStart(2, '0')).join('');
}

/** `sfdc.password` as Data Loader writes it: AES-128-CBC, PKCS#5, a random IV in front. */
function encryptForDataLoader(secret: string, key: Buffer): string {
  const iv = randomBytes(16);
  const cipher = createCipheriv('aes-128-cbc', key, iv);
  return dataLoaderHex(Buffer.concat([iv, cipher.update(secret, 'utf8'), cipher.final()]));
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

// `key=value`, `key: value` or `key value`, as java.util.Properties reads a line.
const propertyLine = (key: string) => new RegExp(`^([ \\t\\f]*${escapeRegExp(key)})([ \\t\\f]*[=:][ \\t\\f]*|[ \\t\\f]+)(.*?)(\\r?)$`);

/** config.properties with each of `values` set (sfdc.password, or an access token), every other line as it was. */
function editProperties(content: string, username: string, values: ReadonlyArray<readonly [string, string]>, path: string): string {
  const lines = content.split('\n');
  const userLine = lines.findIndex((l) => propertyLine('sfdc.username').test(l));
  const configured = userLine >= 0 ? (propertyLine('sfdc.username').exec(lines[userLine] ?? '')?.[3] ?? '').trim().toLowerCase() : '';
  if (configured !== username) {
    throw new UsageError(`Data Loader config ${path} is for ${configured || 'no sfdc.username'}, not ${username}: give each user their own file (stores per account)`);
  }
  let edited = lines;
  // Inserted in reverse, each right after the username: they end up in the order given.
  for (const [key, value] of [...values].reverse()) {
    let found = false;
    edited = edited.map((line) => {
      const m = propertyLine(key).exec(line);
      if (!m) return line;
      found = true;
      return `${m[1]}${m[2]}${value}${m[4]}`;
    });
    if (!found) {
      const cr = (lines[userLine] ?? '').endsWith('\r') ? '\r' : '';
      edited.splice(userLine + 1, 0, `${key}=${value}${cr}`);
    }
  }
  return edited.join('\n');
}

/** Where each line of `text` starts: a node's line and column (1-based) become an offset. */
function lineOffsets(text: string): number[] {
  const starts = [0];
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return starts;
}

/**
 * process-conf.xml with sfdc.password set in every bean whose sfdc.username is the user. The file
 * is read by an XML parser (xmldom), so an entry inside a comment, or in another bean, is never
 * taken for the user's; the change itself is made in the text at the place the parser found, so
 * every other byte (comments, indentation, quotes) stays as Data Loader's user wrote it.
 */
function editProcessConf(content: string, username: string, values: ReadonlyArray<readonly [string, string]>, path: string, DOMParser: typeof XmlParser): string {
  let doc: Document;
  try {
    doc = new DOMParser({
      onError: (level, message) => {
        if (level !== 'warning') throw new Error(message);
      },
    }).parseFromString(content, 'text/xml');
  } catch (err) {
    throw new UsageError(`Data Loader process config ${path} is not well-formed XML: ${describe(err).split('\n')[0]}`);
  }
  const lines = lineOffsets(content);
  // xmldom gives each node the line and column of its source.
  const offset = (node: Element): number => (lines[(node.lineNumber ?? 1) - 1] ?? 0) + (node.columnNumber ?? 1) - 1;
  const edits: Array<{ at: number; end: number; text: string }> = [];
  let beans = 0;
  for (const bean of Array.from(doc.getElementsByTagName('bean'))) {
    const entries = Array.from(bean.getElementsByTagName('entry'));
    const user = entries.find((e) => e.getAttribute('key') === 'sfdc.username');
    if (!user || (user.getAttribute('value') ?? '').trim().toLowerCase() !== username) continue;
    beans++;
    const added: string[] = [];
    const userAt = offset(user);
    const userEnd = content.indexOf('>', userAt) + 1;
    const lineStart = content.lastIndexOf('\n', userAt) + 1;
    const indent = /^[ \t]*/.exec(content.slice(lineStart, userAt))?.[0] ?? '';
    const newline = content.includes('\r\n') ? '\r\n' : '\n';
    for (const [key, value] of values) {
      const entry = entries.find((e) => e.getAttribute('key') === key);
      if (entry) {
        const at = offset(entry);
        const end = content.indexOf('>', at) + 1;
        edits.push({ at, end, text: content.slice(at, end).replace(/(\svalue\s*=\s*)(["'])[^"']*\2/, `$1$2${value}$2`) });
      } else {
        // Not there yet: after the username's entry, on its own line with the same indent.
        added.push(`${newline}${indent}<entry key="${key}" value="${value}"/>`);
      }
    }
    if (added.length) edits.push({ at: userEnd, end: userEnd, text: added.join('') });
  }
  if (beans === 0) throw new UsageError(`Data Loader process config ${path} has no bean whose sfdc.username is ${username}`);
  return edits.sort((a, b) => b.at - a.at).reduce((text, e) => text.slice(0, e.at) + e.text + text.slice(e.end), content);
}

/**
 * xmldom's DOMParser, loaded on first use. It is CommonJS: Node names its exports, the bundle
 * hands the exports object over as `default`, so both places are looked at.
 */
async function xmlParser(): Promise<typeof XmlParser> {
  const xmldom = await import('@xmldom/xmldom');
  const fromDefault: unknown = Reflect.get(xmldom, 'default');
  const parser: unknown = xmldom.DOMParser ?? (fromDefault !== null && typeof fromDefault === 'object' ? Reflect.get(fromDefault, 'DOMParser') : undefined);
  if (typeof parser !== 'function') throw new Error('the XML parser (xmldom) did not load');
  return parser as typeof XmlParser; // checked just above to be the constructor xmldom exports
}

class DataLoaderStore implements SecretStore {
  readonly description: string;

  constructor(
    private readonly options: DataLoaderOptions,
    private readonly key: Buffer,
    private readonly context: StoreContext,
  ) {
    this.description = `dataloader:${options.path}`;
  }

  async get(): Promise<string | null> {
    // Data Loader's password field holds password + token, encrypted: nothing to read back here.
    return null;
  }

  async set(username: string, token: string, meta: TokenMetadata): Promise<void> {
    const password = this.context.passwordFor(username);
    if (password === null) throw new UsageError(`--store ${this.description} needs ${username}'s Salesforce password (SFTOKEN_SF_PASSWORD or the account's password)`);
    const encrypted = encryptForDataLoader(password + token, this.key);
    await this.edit(username, [['sfdc.password', encrypted]], meta.orderTime);
  }

  /**
   * An access token instead (DESIGN §7): `sfdc.oauth.accesstoken`, encrypted as the password is,
   * and `salesforce.oauth.instanceURL`: the keys Data Loader's AppConfig reads in batch mode
   * (forcedotcom/dataloader, config/AppConfig.java: PROP_OAUTH_ACCESSTOKEN, one of its
   * ENCRYPTED_PROPERTY_NAMES, and PROP_OAUTH_INSTANCE_URL). sfdc.password is left as it is.
   */
  async setAccessToken(username: string, credential: AccessCredential): Promise<void> {
    await this.edit(
      username,
      [
        ['sfdc.oauth.accesstoken', encryptForDataLoader(credential.accessToken, this.key)],
        ['salesforce.oauth.instanceURL', credential.instanceUrl],
      ],
      credential.issuedAt,
    );
  }

  /**
   * Sets `values` for the user. In config.properties a comment above the first one keeps its order
   * time, and a value from an older email than the one held is refused (destinations never go
   * back in time); a process-conf.xml keeps no such mark (a comment inside a bean is a change its
   * owner did not ask for).
   */
  private async edit(username: string, values: ReadonlyArray<readonly [string, string]>, orderTime: string): Promise<void> {
    const { path } = this.options;
    // The XML parser loads only for a process-conf.xml: every other run starts without it.
    const parser = path.endsWith('.xml') ? await xmlParser() : null;
    const key = values[0]?.[0] ?? '';
    // The edit refuses a file that is for another user: a configuration error, not a retry.
    await editInPlace(
      path,
      (content) => {
        if (parser) return editProcessConf(content, username, values, path, parser);
        refuseOlder(this.description, heldOrderTime(content, key), orderTime);
        return stampOrder(editProperties(content, username, values, path), key, orderTime);
      },
      { mustExist: true, mode: this.options.mode },
    );
  }
}

export const dataloaderBackend: StoreBackend<DataLoaderOptions> = {
  scheme: 'dataloader',
  usage: 'dataloader:<config.properties|process-conf.xml>?key=<keyfile>[&mode=0640]',
  parse,
  files: ({ path }) => [path],
  // A process-conf.xml has a bean per user; config.properties has one sfdc.username.
  holdsOne: ({ path }) => !path.endsWith('.xml'),
  async open(options, context) {
    const loose = await writableFolder(options.path, 'Data Loader config', options.mode);
    if (loose) context.warn(loose, { store: `dataloader:${options.path}` });
    await tidy(options.path);
    // Data Loader's files are the admin's: edited in place, never created from nothing.
    await stat(options.path).catch(() => {
      throw new UsageError(`Data Loader config ${options.path} does not exist`);
    });
    if (context.passwordUsers.length === 0 && !context.issuedUsers?.length) {
      throw new UsageError(`--store dataloader: Data Loader keeps password + token together, so sftoken needs the user's password: set SFTOKEN_SF_USERNAME and SFTOKEN_SF_PASSWORD, or list accounts`);
    }
    return new DataLoaderStore(options, await readKey(options.keyFile), context);
  },
};
