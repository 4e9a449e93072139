#!/usr/bin/env -S node --single-threaded-gc
// The nutcracker command's entry. It runs with V8's garbage collector on the main thread alone: the
// proxy's young generation is small (young-generation.ts), so each collection is short, and waking
// helper threads for it cost more CPU than they saved (docs/performance.md). The flag must be on
// Node's command line; set at run time it crashes V8.
// V8's young generation is sized first, before the command's modules load: loading them is what
// first grows it (from 1 MB to 2 MB semi-spaces).
import './young-generation.js';

await import('./command.js');
