// Built-in modules that only some configurations use, loaded at their first use: a proxy without
// TLS does not hold node:tls and node:crypto (about 2 MB resident together, docs/performance.md).
import { createRequire } from 'node:module';

const requireBuiltin = createRequire(import.meta.url);

export function tlsModule(): typeof import('node:tls') {
  return requireBuiltin('node:tls') as typeof import('node:tls');
}

export function cryptoModule(): typeof import('node:crypto') {
  return requireBuiltin('node:crypto') as typeof import('node:crypto');
}
