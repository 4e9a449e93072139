// One pool's options: twemproxy 0.5's keys with its defaults and rules, plus this project's keys.
import { isMap } from 'yaml';
import { DISCOVERY_POOL_KEYS, readDiscovery } from './discovery-keys.js';
import { ListenError, parseListen } from './listen.js';
import type { Section } from './section.js';
import { POOLING_POOL_KEYS, readPooling } from './pooling.js';
import { parseServerLine, ServerLineError, sortServers } from './server-line.js';
import { readTls, TLS_POOL_KEYS } from './tls.js';
import { LATENCY_POOL_KEYS, readLatency } from './latency-keys.js';
import {
  DISTRIBUTION_NAMES, HASH_NAMES, PROTOCOL_NAMES,
  type ListenAddress, type PoolConfig, type ProtocolName, type ServerConfig,
} from './types.js';

const TWEMPROXY_POOL_KEYS = [
  'listen', 'hash', 'hash_tag', 'distribution', 'timeout', 'backlog', 'client_connections',
  'redis', 'tcpkeepalive', 'reuseport', 'redis_auth', 'redis_db', 'preconnect',
  'auto_eject_hosts', 'server_connections', 'server_retry_timeout', 'server_failure_limit', 'servers',
] as const;

export const POOL_KEYS: readonly string[] = [
  ...TWEMPROXY_POOL_KEYS, 'protocol', 'max_request_bytes', 'max_reply_bytes', ...TLS_POOL_KEYS, ...DISCOVERY_POOL_KEYS, ...LATENCY_POOL_KEYS,
  ...POOLING_POOL_KEYS,
];

/** Keys that only mean something under `global:`, to say so when one is written in a pool. */
const GLOBAL_ONLY_KEYS: readonly string[] = ['worker_processes', 'user', 'group'];

const MILLISECONDS = { min: 0, unit: 'milliseconds' };

/** The memory one client's request or one server reply may take; Redis caps a client's query buffer at 1 GiB. */
export const DEFAULT_MAX_REQUEST_BYTES = 128 * 1024 * 1024;
export const DEFAULT_MAX_REPLY_BYTES = 256 * 1024 * 1024;
const REQUEST_BYTES = { min: 1024, max: 1024 * 1024 * 1024, unit: 'bytes' };
const REPLY_BYTES = { min: 1024, max: 2 ** 31 - 1, unit: 'bytes' };

/** Reads and checks one pool; null when `listen` or `servers` is missing or unusable (reported). */
export function parsePool(section: Section, name: string): PoolConfig | null {
  section.reportUnknownKeys(POOL_KEYS, (key) =>
    GLOBAL_ONLY_KEYS.includes(key) ? "belongs under 'global:' (extended layout), not in a pool" : null);
  const listen = readListen(section);
  const servers = readServers(section);
  const protocol = readProtocol(section);
  const redisAuth = readRedisAuth(section, protocol);
  const tls = readTls(section, servers);
  refuseReuseport(section);
  if (protocol === 'tcp') checkTcpPool(section, servers);
  warnOfDatabasePort(section, listen);
  const latency = readLatency(section);
  const serverConnections = section.int('server_connections', 1, { min: 1, unit: 'connections' });
  const pool: Omit<PoolConfig, 'listen' | 'servers'> = {
    name,
    line: section.line,
    clientConnections: section.int('client_connections', 0, { min: 0, unit: 'connections' }),
    hash: section.choice('hash', HASH_NAMES, 'fnv1a_64'),
    hashTag: readHashTag(section),
    distribution: section.choice('distribution', DISTRIBUTION_NAMES, 'ketama'),
    // As in twemproxy, 0 (like no value) means no timeout.
    timeout: section.int('timeout', 0, MILLISECONDS) || null,
    backlog: section.int('backlog', 512, { min: 0 }),
    tcpKeepalive: section.bool('tcpkeepalive', false),
    preconnect: section.bool('preconnect', false),
    protocol,
    redisAuth,
    redisDb: section.int('redis_db', 0, { min: 0 }),
    serverConnections,
    autoEjectHosts: section.bool('auto_eject_hosts', false),
    serverRetryTimeout: section.int('server_retry_timeout', 30000, MILLISECONDS),
    serverFailureLimit: section.int('server_failure_limit', 2, { min: 0, unit: 'failures' }),
    maxRequestBytes: section.int('max_request_bytes', DEFAULT_MAX_REQUEST_BYTES, REQUEST_BYTES),
    maxReplyBytes: section.int('max_reply_bytes', DEFAULT_MAX_REPLY_BYTES, REPLY_BYTES),
    tls,
    discovery: readDiscovery(section, latency.routing),
    latency,
    pooling: readPooling(section, serverConnections, protocol),
  };
  return listen && servers ? { ...pool, listen, servers } : null;
}

function readListen(section: Section): ListenAddress | null {
  if (!section.has('listen')) {
    section.sectionProblem('listen', 'has no \'listen\' key: add e.g. "listen: 127.0.0.1:22121"');
    return null;
  }
  const text = section.text('listen');
  if (text === undefined) return null;
  try {
    return parseListen(text);
  } catch (error) {
    if (!(error instanceof ListenError)) throw error;
    section.problem(section.entry('listen')!, `is '${text}', which ${error.message}`);
    return null;
  }
}

/** The `servers:` list, parsed and sorted as twemproxy sorts it; null when missing or unusable. */
function readServers(section: Section): ServerConfig[] | null {
  if (!section.has('servers')) {
    section.sectionProblem('servers', 'has no \'servers\' key: add a list of "- host:port:weight [name]" lines');
    return null;
  }
  const items = section.list('servers');
  if (items === undefined) return null;
  if (items.length === 0) {
    section.problem(section.entry('servers')!, 'is an empty list: add at least one "- host:port:weight [name]" line');
    return null;
  }
  const servers: ServerConfig[] = [];
  for (const item of items) {
    try {
      servers.push(parseServerLine(item.text, item.line));
    } catch (error) {
      if (!(error instanceof ServerLineError)) throw error;
      section.problemAt('servers', item.line, `has an entry '${item.text}' which ${error.message}`);
    }
  }
  reportDuplicateServerNames(section, servers);
  return servers.length === items.length ? sortServers(servers) : null;
}

/** twemproxy refuses two servers with one name: they would share the same points on the ring. */
function reportDuplicateServerNames(section: Section, servers: readonly ServerConfig[]): void {
  const firstLineByName = new Map<string, number>();
  for (const server of servers) {
    const firstLine = firstLineByName.get(server.name);
    if (firstLine === undefined) {
      firstLineByName.set(server.name, server.line);
      continue;
    }
    section.problemAt('servers', server.line,
      `has a second server named '${server.name}' (first on line ${firstLine}): give each server a distinct host:port or name`);
  }
}

/** SO_REUSEPORT cannot be set from Node.js 20, so `reuseport: true` is refused rather than ignored. */
function refuseReuseport(section: Section): void {
  if (section.bool('reuseport', false)) {
    section.problem(section.entry('reuseport')!,
      'is true, which is not supported: Node.js 20 cannot set SO_REUSEPORT; remove the key or set it to false');
  }
}

/** twemproxy's 2-byte hash tag, e.g. "{}"; YAML reads an unquoted {} as an empty mapping. */
function readHashTag(section: Section): string | null {
  const entry = section.entry('hash_tag');
  if (entry && isMap(entry.value)) {
    section.problem(entry, 'must be quoted: write hash_tag: "{}" (unquoted, {} is an empty YAML mapping)');
    return null;
  }
  const value = section.text('hash_tag');
  if (value === undefined) return null;
  if (Buffer.byteLength(value) !== 2) {
    section.problem(entry!, `must be exactly two characters, e.g. "{}" or "$$", not '${value}'`);
    return null;
  }
  return value;
}

/**
 * `protocol:` and twemproxy's `redis:` say the same thing; with neither, twemproxy speaks memcached.
 * tcp is not built yet and is refused.
 */
function readProtocol(section: Section): ProtocolName {
  const redis = section.optionalBool('redis');
  const protocol = section.optionalChoice('protocol', PROTOCOL_NAMES);
  const redisEntry = section.entry('redis');
  const protocolEntry = section.entry('protocol');
  if ((redisEntry && redis === undefined) || (protocolEntry && protocol === undefined)) return 'redis';
  const impliedByRedis: ProtocolName | undefined = redis === undefined ? undefined : redis ? 'redis' : 'memcache';
  if (protocol !== undefined && impliedByRedis !== undefined && protocol !== impliedByRedis) {
    section.problem(protocolEntry!,
      `is '${protocol}', which conflicts with 'redis: ${redis}' on line ${redisEntry!.line} (redis: ${redis} means protocol ${impliedByRedis}): keep only one of the two keys`);
    return protocol;
  }
  return protocol ?? impliedByRedis ?? 'memcache';
}

/** A tcp pool relays each client to one address of its one server; what only a parsing pool can do is refused. */
function checkTcpPool(section: Section, servers: readonly ServerConfig[] | null): void {
  if (servers !== null && servers.length > 1) {
    section.problem(section.entry('servers')!,
      `has ${servers.length} servers, but a tcp pool relays each client to one server (there is no key to place): ` +
      'list one server; a DNS name gives it all its addresses (e.g. a database reader endpoint)');
  }
  if (section.bool('preconnect', false)) {
    section.problem(section.entry('preconnect')!, 'is true, but a tcp pool opens a server connection per client when it connects: remove preconnect');
  }
}

/** Well-known database ports, where a pool that says no protocol (and so speaks memcached) is most likely a forgotten `protocol: tcp`. */
const DATABASE_PORTS: ReadonlyMap<number, string> = new Map([[3306, 'MySQL/MariaDB'], [5432, 'PostgreSQL']]);

function warnOfDatabasePort(section: Section, listen: ListenAddress | null): void {
  if (listen?.kind !== 'tcp' || section.has('protocol') || section.has('redis')) return;
  const database = DATABASE_PORTS.get(listen.port);
  if (database === undefined) return;
  section.sectionWarning('listen', `listens on port ${listen.port} (${database}) with neither 'protocol' nor 'redis', ` +
    "so it speaks memcached: add 'protocol: tcp' to relay a database, or 'protocol: memcache' if memcached is meant");
}

/** As in twemproxy, `redis_auth` only makes sense for a redis pool. */
function readRedisAuth(section: Section, protocol: ProtocolName): string | null {
  const password = section.text('redis_auth');
  if (password === undefined) return null;
  if (protocol !== 'redis') section.problem(section.entry('redis_auth')!, 'is only valid in a redis pool (redis: true)');
  return password;
}
