import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURES } from './paths.js';

export interface FixtureExpectation {
  file: string;
  what: string;
  outcome: string;
  reason?: string;
  username?: string;
  fingerprint?: string;
}

export function fixtureIndex(): FixtureExpectation[] {
  return (JSON.parse(readFileSync(join(FIXTURES, 'index.json'), 'utf8')) as { fixtures: FixtureExpectation[] }).fixtures;
}

export function fixturePath(file: string): string {
  return join(FIXTURES, file);
}
