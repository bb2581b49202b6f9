#!/usr/bin/env node
import module from 'node:module';

// Node 22 and later keep compiled code between runs: `deliver` starts once per message, and most
// of its start is compiling the parser, the DKIM verifier and jsforce. Node 20 has no such cache.
// Enabled before anything else is imported, so that everything after benefits.
const enableCompileCache: unknown = Reflect.get(module, 'enableCompileCache');
if (typeof enableCompileCache === 'function') enableCompileCache.call(module);

// stdout carries only records (NDJSON with --json); a library that prints with console.log
// (mailauth does, on a DKIM body-length mismatch) must not be able to break that contract.
console.log = (...args: unknown[]) => console.error(...args);

const { main } = await import('./cli.js');
process.exitCode = await main(process.argv.slice(2));
