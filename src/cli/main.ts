#!/usr/bin/env node
// The nutcracker command's entry. V8's young generation is sized first (young-generation.ts), before
// the command's modules load: loading them is what first grows it (from 1 MB to 2 MB semi-spaces).
import './young-generation.js';

await import('./command.js');
