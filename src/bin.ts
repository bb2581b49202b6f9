#!/usr/bin/env node
import { main } from './cli.js';

// stdout carries only records (NDJSON with --json); a library that prints with console.log
// (mailauth does, on a DKIM body-length mismatch) must not be able to break that contract.
console.log = (...args: unknown[]) => console.error(...args);

process.exitCode = await main(process.argv.slice(2));
