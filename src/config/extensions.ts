// The pool keys this project adds to twemproxy's whose behaviour is not built yet.
// Each is parsed and range-checked now, so a typo is still caught; a value other than the default
// is refused, because accepting it would silently start a proxy that ignores what was asked.
import { isIP } from 'node:net';
import type { IntegerRange, Section } from './section.js';

type Extension =
  | { key: string; kind: 'bool'; fallback: boolean }
  | { key: string; kind: 'int'; fallback: number; range: IntegerRange }
  /** A string with no default (a file or a name): any value asks for the feature. */
  | { key: string; kind: 'text' };

const UNBUILT_POOL_EXTENSIONS: readonly Extension[] = [
  { key: 'latency_routing', kind: 'bool', fallback: false },
  { key: 'latency_weight', kind: 'int', fallback: 80, range: { min: 0, max: 100, unit: 'percent' } },
  { key: 'zone_aware', kind: 'bool', fallback: false },
  { key: 'zone_weight', kind: 'int', fallback: 25, range: { min: 0, unit: 'percent' } },
  { key: 'zone_latency_threshold', kind: 'int', fallback: 50000, range: { min: 0, unit: 'microseconds' } },
  { key: 'tls_enabled', kind: 'bool', fallback: false },
  { key: 'tls_verify_peer', kind: 'bool', fallback: true },
  { key: 'tls_ca_file', kind: 'text' },
  { key: 'tls_cert_file', kind: 'text' },
  { key: 'tls_key_file', kind: 'text' },
  { key: 'tls_server_name', kind: 'text' },
];

export const UNBUILT_POOL_KEYS: readonly string[] = UNBUILT_POOL_EXTENSIONS.map((extension) => extension.key);

/** Validates every unbuilt key present in a pool and refuses the ones that ask for behaviour. */
export function checkUnbuiltExtensions(section: Section): void {
  for (const extension of UNBUILT_POOL_EXTENSIONS) {
    const entry = section.entry(extension.key);
    if (entry && asksForBehaviour(section, extension)) {
      section.problem(entry, `is not supported yet by this version: ${howToKeepDefault(extension)}`);
    }
  }
  checkTlsKeyPair(section);
}

/** False when the value is its default (harmless) or invalid (already reported). */
function asksForBehaviour(section: Section, extension: Extension): boolean {
  switch (extension.kind) {
    case 'bool':
      return section.bool(extension.key, extension.fallback) !== extension.fallback;
    case 'int':
      return section.int(extension.key, extension.fallback, extension.range) !== extension.fallback;
    case 'text':
      return section.text(extension.key) !== undefined;
  }
}

function howToKeepDefault(extension: Extension): string {
  switch (extension.kind) {
    case 'bool':
    case 'int':
      return `remove it or set it to its default, ${extension.fallback}`;
    case 'text':
      return 'remove it';
  }
}

/** A client certificate is useless without its key and the other way round. */
function checkTlsKeyPair(section: Section): void {
  const cert = section.entry('tls_cert_file');
  const key = section.entry('tls_key_file');
  if (cert && !key) section.problem(cert, "needs 'tls_key_file' too: a client certificate needs its private key");
  if (key && !cert) section.problem(key, "needs 'tls_cert_file' too: a private key needs its client certificate");
}

/**
 * A `dns_servers:` list: each item "ip" or "ip:port" ("[ipv6]:port" for IPv6 with a port).
 * Invalid items are reported; the valid ones are returned.
 */
export function readNameservers(section: Section, key: string): string[] | undefined {
  const items = section.list(key);
  if (items === undefined) return undefined;
  const valid: string[] = [];
  for (const item of items) {
    if (isNameserver(item.text.trim())) valid.push(item.text.trim());
    else section.problemAt(key, item.line, `has an invalid nameserver '${item.text}': expected "ip" or "ip:port", e.g. 10.0.0.2 or [fd00::2]:53`);
  }
  return valid;
}

function isNameserver(text: string): boolean {
  if (isIP(text) !== 0) return true;
  const bracketed = /^\[([^\]]+)\]:([0-9]{1,5})$/.exec(text);
  if (bracketed) return isIP(bracketed[1]!) === 6 && isPort(bracketed[2]!);
  const colon = text.lastIndexOf(':');
  return colon > 0 && isIP(text.slice(0, colon)) === 4 && isPort(text.slice(colon + 1));
}

function isPort(text: string): boolean {
  const port = Number(text);
  return /^[0-9]{1,5}$/.test(text) && port >= 1 && port <= 65535;
}
