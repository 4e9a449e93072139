// What one scenario runs against: its redis-servers, and each proxy on its own copy of one pool config.
import type { ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { extendedYaml, poolsYaml } from '../test/helpers/nutcracker.js';
import { freePort, portFreeOn } from '../test/helpers/ports.js';
import { DnsServer } from '../test/helpers/dns-server.js';
import type { RedisTls } from '../test/helpers/redis-server.js';
import { TestCa } from '../test/helpers/tls-certs.js';
import { startMemcachedServer, startProxy, startRedisServer, stopChild, stopMemcachedServer, stopRedisServer } from './processes.js';

/** `servers` lines on the ring, spread round robin over `shards` redis-servers (or memcached servers). */
export interface PoolShape {
  shards: number;
  servers: number;
  /** Default redis. */
  protocol?: 'memcache';
  /**
   * TLS between the proxy and its redis-servers, with a CA and certificate made for the run.
   * Only this proxy is measured: redis-benchmark straight at the server and twemproxy speak no TLS here.
   */
  tls?: true;
  /**
   * Replicas: the pool's one server is a DNS name (served by the test DNS server) that resolves
   * to `count` redis-servers on 127.0.0.2.. (one port), taken in turn unless a variant sets
   * `latency_routing`; `shards` and `servers` are ignored. Only this proxy is measured: twemproxy
   * takes one address of a name.
   */
  replicas?: { count: number };
}

/** A started backend server. */
interface Shard {
  readonly port: number;
  stop(): Promise<void>;
}

/** `worker_processes` of this proxy: a number, or `auto` (one per CPU). */
export type WorkerCount = number | 'auto';
/** This proxy under another name, with other settings: variants of one scenario are measured side by side. */
export type VariantName = `workers-${WorkerCount}` | 'latency-routing' | 'in-turn';
export type ProxyName = 'nutcracker' | 'reference' | VariantName;
export type TargetName = 'direct' | ProxyName;

/** What a variant changes in the config this proxy is given. */
export interface Variant {
  name: VariantName;
  /** `global:` keys, written in the extended layout (twemproxy reads only the classic one). */
  global?: Record<string, string | number>;
  /** Pool keys, over the scenario's. */
  options?: Record<string, unknown>;
}

/** How to run a proxy: the command before its flags, and what its config differs in. */
export interface ProxyCommand extends Omit<Variant, 'name'> {
  name: ProxyName;
  command: readonly string[];
}

/** This proxy once per variant, beside the reference when there is one. */
export function withVariants(proxies: readonly ProxyCommand[], variants: readonly Variant[]): ProxyCommand[] {
  const nutcracker = proxies.find((proxy) => proxy.name === 'nutcracker')!;
  return [...variants.map((variant): ProxyCommand => ({ ...nutcracker, ...variant })), ...proxies.filter((proxy) => proxy.name === 'reference')];
}

export interface Target {
  name: TargetName;
  port: number;
}

export interface ProxyTarget extends Target {
  name: ProxyName;
  pid: number;
}

export interface Topology {
  /** redis-benchmark straight at the redis-server: only for a pool of one server on one shard. */
  direct: Target | null;
  proxies: ProxyTarget[];
  stop(): Promise<void>;
}

export async function startTopology(shape: PoolShape, proxyCommands: readonly ProxyCommand[], dir: string): Promise<Topology> {
  const shards: Shard[] = [];
  const children: ChildProcess[] = [];
  let ca: TestCa | null = null;
  let dns: DnsServer | null = null;
  const stop = async () => {
    await Promise.all(children.map(stopChild));
    await Promise.all(shards.map((shard) => shard.stop()));
    ca?.destroy();
    await dns?.stop();
  };
  try {
    ca = shape.tls ? await TestCa.create() : null;
    const tls: RedisTls | null = ca === null ? null : { ca: ca.cert, server: await ca.issue('redis', { ips: ['127.0.0.1'] }), authClients: false };
    let servers: string[];
    let discovery = {};
    if (shape.replicas === undefined) {
      for (let i = 0; i < shape.shards; i++) shards.push(await startShard(shape, tls));
      servers = serverLines(shape, shards);
    } else {
      dns = await DnsServer.start();
      servers = [await startReplicas(shape.replicas.count, dns, shards)];
      discovery = { dns_servers: [dns.address] };
    }
    const onlyThisProxy = tls !== null || shape.replicas !== undefined;
    const proxies: ProxyTarget[] = [];
    for (const { name, command, global, options: variantOptions } of proxyCommands.filter((proxy) => !onlyThisProxy || proxy.name !== 'reference')) {
      const port = await freePort();
      const configFile = join(dir, `${name}.yml`);
      const options = {
        hash: 'fnv1a_64', distribution: 'ketama', redis: shape.protocol !== 'memcache',
        ...(tls === null ? {} : { tls_enabled: true, tls_ca_file: tls.ca }), ...discovery, ...variantOptions,
      };
      const pools = { bench: { listen: `127.0.0.1:${port}`, servers, options } };
      writeFileSync(configFile, global === undefined ? poolsYaml(pools) : extendedYaml(global, pools));
      const child = await startProxy(command, configFile, port, join(dir, `${name}.log`));
      children.push(child);
      proxies.push({ name, port, pid: child.pid! });
    }
    const direct = shape.shards === 1 && shape.servers === 1 && !onlyThisProxy ? { name: 'direct' as const, port: shards[0]!.port } : null;
    return { direct, proxies, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** redis-benchmark's targets in the order they run: direct first when there is one. */
export function targetsOf(topology: Topology): Target[] {
  return topology.direct === null ? topology.proxies : [topology.direct, ...topology.proxies];
}

/** A memcached or redis-server; a redis-server with `tls` speaks TLS only. */
async function startShard(shape: PoolShape, tls: RedisTls | null): Promise<Shard> {
  if (shape.protocol === 'memcache') {
    const server = await startMemcachedServer();
    return { port: server.port, stop: () => stopMemcachedServer(server) };
  }
  const server = await startRedisServer(tls ?? undefined);
  return { port: server.port, stop: () => stopRedisServer(server) };
}

/** `count` redis-servers on 127.0.0.2.. and one port, which `dns` gives for one name; returns the server line. */
async function startReplicas(count: number, dns: DnsServer, shards: Shard[]): Promise<string> {
  const ips = Array.from({ length: count }, (_, i) => `127.0.0.${i + 2}`);
  const port = await portFreeOn(ips);
  for (const host of ips) {
    const server = await startRedisServer(undefined, { host, port });
    shards.push({ port, stop: () => stopRedisServer(server) });
  }
  dns.answer('replicas.bench', ips);
  return `replicas.bench:${port}:1 replicas`;
}

/** Distinct names ("s0", "s1", ...) so that many lines may share one server's address. */
function serverLines(shape: PoolShape, shards: readonly Shard[]): string[] {
  return Array.from({ length: shape.servers }, (_, i) => `127.0.0.1:${shards[i % shards.length]!.port}:1 s${i}`);
}
