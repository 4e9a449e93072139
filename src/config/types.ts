// Typed, validated and defaulted configuration: what every other layer reads.
import type { DiscoveryConfig } from '../discovery/discovery-config.js';
import type { ConfigProblem } from './errors.js';

export const HASH_NAMES = [
  'one_at_a_time', 'md5', 'crc16', 'crc32', 'crc32a', 'fnv1_64', 'fnv1a_64',
  'fnv1_32', 'fnv1a_32', 'hsieh', 'murmur', 'jenkins',
] as const;
export type HashName = (typeof HASH_NAMES)[number];

export const DISTRIBUTION_NAMES = ['ketama', 'modula', 'random'] as const;
export type DistributionName = (typeof DISTRIBUTION_NAMES)[number];

export const PROTOCOL_NAMES = ['redis', 'memcache', 'tcp'] as const;
export type ProtocolName = (typeof PROTOCOL_NAMES)[number];

export type ListenAddress =
  | { kind: 'tcp'; host: string; port: number; text: string }
  | { kind: 'unix'; path: string; mode: number | null; text: string };

/** One `servers:` line: a logical server. */
export interface ServerConfig {
  /** Host name or IP literal as written (without [] for IPv6), or the unix socket path. */
  host: string;
  /** 0 for a unix socket. */
  port: number;
  weight: number;
  /**
   * The name twemproxy hashes on the ketama ring and shows in stats: the text after the
   * space, or `host:port` when unnamed (just `host` when the port is 11211).
   */
  name: string;
  /** The line as written before the name: `host:port:weight`. */
  pname: string;
  /** True when `host` is a unix socket path. */
  isUnix: boolean;
  /** 1-based line in the config file, for error messages. */
  line: number;
}

export interface PoolConfig {
  name: string;
  line: number;
  listen: ListenAddress;
  clientConnections: number;
  hash: HashName;
  /** Two characters, e.g. "{}", or null when not configured. */
  hashTag: string | null;
  distribution: DistributionName;
  /** Server timeout in ms; null = wait forever (twemproxy's default). */
  timeout: number | null;
  backlog: number;
  tcpKeepalive: boolean;
  preconnect: boolean;
  protocol: ProtocolName;
  redisAuth: string | null;
  redisDb: number;
  serverConnections: number;
  autoEjectHosts: boolean;
  serverRetryTimeout: number;
  serverFailureLimit: number;
  /** Largest request a client may send, in bytes; a larger one is refused and the client closed. */
  maxRequestBytes: number;
  /** Largest reply a server may send, in bytes; a larger one fails only its request. */
  maxReplyBytes: number;
  /** The dns_* keys and dynamic_endpoint; dnsServers is the pool's, else the global one. */
  discovery: DiscoveryConfig;
  /** The connection_* keys. */
  pooling: PoolingConfig;
  /** Sorted as twemproxy sorts them (by name: shorter first, then bytewise). */
  servers: ServerConfig[];
  /** latency_routing and the zone keys: how a server's addresses share its requests. */
  latency: LatencyConfig;
  /** TLS to the servers (`tls_enabled: true`), or null for plain connections. */
  tls: TlsConfig | null;
}

/** A pool's latency_* and zone_* keys. */
export interface LatencyConfig {
  /** latency_routing: choose among a server's addresses by measured latency, per request. */
  routing: boolean;
  /** latency_weight: percent of a server's requests for its fastest healthy address. */
  latencyWeight: number;
  zoneAware: boolean;
  /** zone_weight: extra percent of share for the addresses of the local zone. */
  zoneWeight: number;
  /** zone_latency_threshold: the latency spread, in microseconds, of one zone. */
  zoneLatencyThresholdMicros: number;
}

/** A pool's `tls_*` keys, with the files' contents read and checked. */
export interface TlsConfig {
  /** Check the server's certificate chain and its name (tls_verify_peer). */
  verifyPeer: boolean;
  /** PEM of the CA(s) that sign the servers' certificates (tls_ca_file); null for the system's CAs. */
  ca: Buffer | null;
  /** PEM of the client certificate and its key (tls_cert_file, tls_key_file), for mutual TLS; both or neither. */
  cert: Buffer | null;
  key: Buffer | null;
  /** The name for SNI and the certificate check (tls_server_name); null for each server's host. */
  serverName: string | null;
}

/** How many server connections an address keeps, and for how long. */
export interface PoolingConfig {
  /** `connection_pooling`: server_connections per address; false: per server, shared by its addresses (twemproxy's). */
  perAddress: boolean;
  /** `connection_warming`: connections opened per address as soon as it is known, and kept open. */
  warm: number;
  /** `connection_idle_timeout` in ms: a connection beyond the warm ones unused this long closes; 0 = never. */
  idleTimeoutMs: number;
}

export interface GlobalConfig {
  workerProcesses: number;
  user: string | null;
  group: string | null;
  dnsServers: string[];
}

export interface Config {
  file: string;
  global: GlobalConfig;
  pools: PoolConfig[];
  /** What -t and the start warn about (file, line, message): valid, but most likely not what was meant. */
  warnings: ConfigProblem[];
}
