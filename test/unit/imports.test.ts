import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { REPO } from '../helpers/paths.js';

// The layout (DESIGN §1) holds only while modules depend one way: a cycle is how a stage starts
// reaching back into the code that calls it.
const SRC = join(REPO, 'src');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
}

function imports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/(?:from|import\()\s*'(\.[^']+)\.js'/g)].map((m) => normalize(join(dirname(file), `${m[1] ?? ''}.ts`)));
}

test('no module imports one that, through others, imports it back', () => {
  const graph = new Map(sources(SRC).map((f) => [f, imports(f)]));
  const cycles: string[] = [];
  const state = new Map<string, 'open' | 'done'>();
  const visit = (file: string, path: string[]): void => {
    if (state.get(file) === 'done') return;
    if (state.get(file) === 'open') {
      cycles.push([...path.slice(path.indexOf(file)), file].map((f) => relative(SRC, f)).join(' -> '));
      return;
    }
    state.set(file, 'open');
    for (const next of graph.get(file) ?? []) visit(next, [...path, file]);
    state.set(file, 'done');
  };
  for (const file of graph.keys()) visit(file, []);
  assert.ok(graph.size > 50, 'the source tree was found');
  assert.deepEqual(cycles, []);
});

test('stages, sources, stores and state never import the command line or the wiring above them', () => {
  const lower = ['pipeline', 'mail', 'trust', 'sources', 'stores', 'state', 'files', 'util', 'verify', 'notify'];
  const upper = ['app', 'commands', 'cli.ts', 'bin.ts'];
  const wrong = sources(SRC).flatMap((f) => {
    const [folder = ''] = relative(SRC, f).split('/');
    if (!lower.includes(folder)) return [];
    return imports(f)
      .filter((target) => upper.includes(relative(SRC, target).split('/')[0] ?? ''))
      .map((target) => `${relative(SRC, f)} -> ${relative(SRC, target)}`);
  });
  assert.deepEqual(wrong, []);
});
