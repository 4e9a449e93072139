// A pool's DNS discovery keys (dns_resolve_interval, dns_failure_threshold, dns_cache_negative_ttl,
// dns_expiration_minutes, dynamic_endpoint, dns_servers), read and checked into what the
// discovery layer takes. The global dns_servers is merged in by the loader.
import { isIP } from 'node:net';
import { DISCOVERY_DEFAULTS, type DiscoveryConfig, type DynamicEndpoint } from '../discovery/discovery-config.js';
import type { Section } from './section.js';

export const DISCOVERY_POOL_KEYS: readonly string[] = [
  'dns_resolve_interval', 'dns_failure_threshold', 'dns_cache_negative_ttl', 'dns_expiration_minutes', 'dynamic_endpoint', 'dns_servers', 'cache_mode',
];

const SECONDS = { min: 0, unit: 'seconds' };

/** `latencyRouting` as read with the latency keys. */
export function readDiscovery(section: Section, latencyRouting: boolean): DiscoveryConfig {
  return {
    resolveIntervalSeconds: section.int('dns_resolve_interval', DISCOVERY_DEFAULTS.resolveIntervalSeconds, SECONDS),
    failureThreshold: section.int('dns_failure_threshold', DISCOVERY_DEFAULTS.failureThreshold, { min: 1, unit: 'failures' }),
    negativeTtlSeconds: section.int('dns_cache_negative_ttl', DISCOVERY_DEFAULTS.negativeTtlSeconds, SECONDS),
    expirationMinutes: readExpirationMinutes(section),
    dynamicEndpoint: readDynamicEndpoint(section),
    latencyRouting,
    cacheMode: section.bool('cache_mode', false),
    dnsServers: readNameservers(section, 'dns_servers') ?? [],
  };
}

/** Minutes, fractions allowed (0.5 = 30 s), more than 0. */
function readExpirationMinutes(section: Section): number {
  const text = section.text('dns_expiration_minutes');
  if (text === undefined) return DISCOVERY_DEFAULTS.expirationMinutes;
  const minutes = /^[0-9]+(\.[0-9]+)?$/.test(text) ? Number(text) : NaN;
  if (!(minutes > 0)) {
    section.problem(section.entry('dns_expiration_minutes')!, `must be a number of minutes above 0 (fractions allowed, e.g. 0.5), not '${text}'`);
    return DISCOVERY_DEFAULTS.expirationMinutes;
  }
  return minutes;
}

function readDynamicEndpoint(section: Section): DynamicEndpoint {
  const text = section.text('dynamic_endpoint');
  if (text === undefined || text === 'auto') return 'auto';
  if (text === 'true' || text === 'false') return text === 'true';
  section.problem(section.entry('dynamic_endpoint')!,
    `must be auto, true or false, not '${text}' (auto: the union of recent answers for reader endpoints, each answer as the whole set otherwise)`);
  return 'auto';
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
