import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FileStore, fileBackend } from '../../../src/stores/file.js';
import { BARE_CONTEXT, parseDestination } from '../../../src/stores/index.js';
import { keychainBackend } from '../../../src/stores/keychain.js';
import { NewerHeld, UsageError } from '../../../src/util/errors.js';
import { tempDir } from '../../helpers/tmp.js';

const meta = { fingerprint: 'sha256:000000000000' as const, emailDate: '2026-11-01T00:00:00.000Z', orderTime: '2026-11-01T00:00:00.000Z', verified: true };

test('the file store keeps one entry per user, mode 0600, and leaves no temp files', async () => {
  const dir = await tempDir();
  const path = join(dir, 'tokens.json');
  const store = new FileStore(path);
  await store.set('a@acme.com', 'TokenA1234567890123456789', meta);
  await store.set('b@acme.com', 'TokenB1234567890123456789', meta);
  await store.set('a@acme.com', 'TokenA2234567890123456789', meta);
  assert.equal(await store.get('a@acme.com'), 'TokenA2234567890123456789');
  assert.equal(await store.get('b@acme.com'), 'TokenB1234567890123456789');
  assert.equal(await store.get('c@acme.com'), null);
  assert.equal((await stat(path)).mode & 0o777, 0o600);
  assert.deepEqual(await readdir(dir), ['tokens.json']);
  const content = JSON.parse(await readFile(path, 'utf8')) as Record<string, Record<string, string>>;
  assert.deepEqual(Object.keys(content['a@acme.com'] ?? {}).sort(), ['emailDate', 'fingerprint', 'orderTime', 'storedAt', 'token', 'verified']);
});

test('the file store never goes back in time: a token from an older email than the one it holds is refused', async () => {
  const path = join(await tempDir(), 'tokens.json');
  const store = new FileStore(path);
  await store.set('a@acme.com', 'TokenNew234567890123456789', { ...meta, fingerprint: 'sha256:222222222222', orderTime: '2026-11-02T00:00:00.000Z' });
  await assert.rejects(store.set('a@acme.com', 'TokenOld234567890123456789', { ...meta, fingerprint: 'sha256:111111111111', orderTime: '2026-11-01T00:00:00.000Z' }), NewerHeld);
  assert.equal(await store.get('a@acme.com'), 'TokenNew234567890123456789');
  await store.set('a@acme.com', 'TokenNew234567890123456789', { ...meta, fingerprint: 'sha256:222222222222', orderTime: '2026-11-02T00:00:00.000Z' });
  await store.set('a@acme.com', 'TokenNewer4567890123456789', { ...meta, fingerprint: 'sha256:333333333333', orderTime: '2026-11-03T00:00:00.000Z' });
  assert.equal(await store.get('a@acme.com'), 'TokenNewer4567890123456789');
});

test('the file store never overwrites a file it cannot read as JSON', async () => {
  const path = join(await tempDir(), 'tokens.json');
  await writeFile(path, 'not json');
  await assert.rejects(new FileStore(path).set('a@acme.com', 'TokenA1234567890123456789', meta), UsageError);
  assert.equal(await readFile(path, 'utf8'), 'not json');
});

test('store specs: keychain with or without a service, file with a path, nothing else', async () => {
  assert.deepEqual(keychainBackend.parse(''), { service: 'salesforce-security-token' });
  assert.deepEqual(keychainBackend.parse('my-svc'), { service: 'my-svc' });
  assert.deepEqual(fileBackend.parse('/x/y.json'), { path: '/x/y.json', mode: 0o600 });
  assert.deepEqual(fileBackend.parse('/x/y.json?mode=0640'), { path: '/x/y.json', mode: 0o640 });
  assert.throws(() => fileBackend.parse('/x/y.json?mode=0644'), /must be 0600 or 0640/);
  assert.throws(() => parseDestination('file:'), UsageError);
  assert.throws(() => parseDestination('vault:secret/sf'), /unknown store "vault"/);
  const inTemp = join(await tempDir(), 'y.json');
  assert.equal((await parseDestination(`file:${inTemp}`).open(BARE_CONTEXT)).description, `file:${inTemp}`);
  await assert.rejects(parseDestination('file:/no/such/folder/y.json').open(BARE_CONTEXT), /folder \/no\/such\/folder does not exist/);
});

test('a token file ends at its configured mode whatever mode it had: 0600, or 0640 when asked', async () => {
  const dir = await tempDir();
  const loose = join(dir, 'loose.json');
  // An admin made it with umask 022, or worse.
  await writeFile(loose, '{}', { mode: 0o666 });
  await chmod(loose, 0o666);
  await new FileStore(loose).set('a@acme.com', 'TokenA1234567890123456789', meta);
  assert.equal((await stat(loose)).mode & 0o777, 0o600);
  const shared = join(dir, 'shared.json');
  await writeFile(shared, '{}', { mode: 0o644 });
  await new FileStore(shared, 0o640).set('a@acme.com', 'TokenA1234567890123456789', meta);
  assert.equal((await stat(shared)).mode & 0o777, 0o640, 'group read, as asked; no more');
  const created = join(dir, 'created.json');
  await new FileStore(created, 0o640).set('a@acme.com', 'TokenA1234567890123456789', meta);
  assert.equal((await stat(created)).mode & 0o777, 0o640);
});
