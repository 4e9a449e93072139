// SIGHUP reloads the config, in one process and with 2 workers, under a continuous load on
// long-lived connections to a pool the reloads do not touch: a pool added, a pool removed, a
// server line changed and a config with a YAML error, each with zero failed requests.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { extendedYaml, Nutcracker, type PoolSpec } from '../helpers/nutcracker.js';
import { RedisServer } from '../helpers/redis-server.js';
import { RawClient } from '../helpers/raw-client.js';
import { freePort, waitFor } from '../helpers/ports.js';
import { DnsServer } from '../helpers/dns-server.js';
import { ClientLoops } from '../helpers/client-loops.js';

/** Clients that each send SET and GET in turn on one connection, checking every reply, until stopped. */
class SteadyLoad {
  requests = 0;
  readonly failures: string[] = [];
  private readonly traffic: ClientLoops<RawClient>;

  constructor(clients: RawClient[]) {
    this.traffic = new ClientLoops(clients, (client) => client.close());
    this.traffic.start((client, index) => this.loop(client, index));
  }

  private async loop(client: RawClient, index: number): Promise<void> {
    for (let i = 0; this.traffic.running; i++) {
      try {
        const value = `v${index}-${i}`;
        const set = await client.command('SET', `steady:${index}`, value);
        const get = await client.command('GET', `steady:${index}`);
        if (set !== '+OK\r\n' || get !== `$${value.length}\r\n${value}\r\n`) this.failures.push(`client ${index}: ${set} ${get}`);
        this.requests += 2;
      } catch (err) {
        this.failures.push(`client ${index}: ${(err as Error).message}`);
        return;
      }
    }
  }

  stop(): Promise<void> {
    return this.traffic.stop();
  }
}

/** True when `count` fresh connections in a row get `expected` (one per worker: the master hands them out in turn). */
async function allServe(port: number, expected: string, count: number): Promise<boolean> {
  for (let i = 0; i < count; i++) if ((await get(port, 'where').catch(() => '')) !== expected) return false;
  return true;
}

async function get(port: number, key: string): Promise<string> {
  const client = await RawClient.connect(port);
  try {
    return await client.command('GET', key);
  } finally {
    client.close();
  }
}

function refuses(port: number): Promise<boolean> {
  return RawClient.connect(port).then((client) => {
    client.close();
    return false;
  }, () => true);
}

/** The ids of the connections redis has from anyone but the asking client. */
async function connectionIds(redis: RedisServer): Promise<string[]> {
  const list = await redis.command('CLIENT', 'LIST');
  return [...list.matchAll(/^id=([0-9]+) .*$/gm)].filter((match) => !match[0].includes('cmd=client')).map((match) => match[1]!).sort();
}

for (const workers of [1, 2]) {
  describe(`SIGHUP reload with worker_processes: ${workers}`, () => {
    let steady: RedisServer;
    let first: RedisServer;
    let second: RedisServer;
    before(async () => {
      [steady, first, second] = await Promise.all([RedisServer.start(), RedisServer.start(), RedisServer.start()]);
      await first.command('SET', 'where', 'first');
      await second.command('SET', 'where', 'second');
    });
    after(async () => Promise.all([steady, first, second].map((server) => server?.destroy())));

    it('adds, removes and changes pools and keeps the config on a YAML error, with zero failed requests on the untouched pool', async (t) => {
      const pools: Record<string, PoolSpec> = {
        alpha: { servers: [`${steady.address}:1`], options: { server_connections: 1, preconnect: true } },
        beta: { servers: [`${first.address}:1`] },
      };
      const proxy = await Nutcracker.start(pools, [], { global: { worker_processes: workers } });
      const gammaPort = await freePort();
      const listen = (name: string, port: number) => ({ ...pools[name]!, listen: `127.0.0.1:${port}` });
      const write = (text: string) => writeFileSync(proxy.confFile, text);
      const reload = async (what: string, done: () => Promise<boolean>) => {
        const start = Date.now();
        proxy.signal('SIGHUP');
        await waitFor(what, done, 3000).catch((err: Error) => {
          throw new Error(`${err.message}; the proxy's log:\n${proxy.output}`);
        });
        t.diagnostic(`${what}: ${Date.now() - start} ms after SIGHUP`);
      };
      let load: SteadyLoad | null = null;
      try {
        await waitFor('alpha preconnected', async () => (await connectionIds(steady)).length === workers, 5000);
        const alphaConnections = await connectionIds(steady);
        const clients: RawClient[] = [];
        for (let i = 0; i < 4; i++) clients.push(await RawClient.connect(proxy.port('alpha')));
        load = new SteadyLoad(clients);
        const betaClient = await RawClient.connect(proxy.port('beta'));
        assert.equal(await betaClient.command('GET', 'where'), '$5\r\nfirst\r\n');

        write(extendedYaml({ worker_processes: workers }, {
          alpha: listen('alpha', proxy.port('alpha')), beta: listen('beta', proxy.port('beta')),
          gamma: { servers: [`${first.address}:1`], listen: `127.0.0.1:${gammaPort}` },
        }));
        await reload('the added pool serving', () => allServe(gammaPort, '$5\r\nfirst\r\n', workers));

        write(extendedYaml({ worker_processes: workers }, {
          alpha: listen('alpha', proxy.port('alpha')),
          gamma: { servers: [`${first.address}:1`], listen: `127.0.0.1:${gammaPort}` },
        }));
        await reload('the removed pool closed', () => refuses(proxy.port('beta')));
        assert.ok(await betaClient.waitClosed(5000), 'the removed pool\'s client is closed');

        write(extendedYaml({ worker_processes: workers }, {
          alpha: listen('alpha', proxy.port('alpha')),
          gamma: { servers: [`${second.address}:1`], listen: `127.0.0.1:${gammaPort}` },
        }));
        await reload('the changed server line in use', () => allServe(gammaPort, '$6\r\nsecond\r\n', workers));

        write('global:\n  worker_processes: 1\npools:\n  alpha:\n    listen: [oops\n');
        await reload('the YAML error logged', async () => /reload: configuration file '.*nutcracker\.yml' is invalid, the running configuration stays:\n.*nutcracker\.yml:[0-9]+: YAML syntax error/.test(proxy.output));
        assert.ok(await allServe(gammaPort, '$6\r\nsecond\r\n', workers), 'the running config stays');

        const before = load.requests;
        await waitFor('the load going on', () => load!.requests > before + 20, 5000);
        await load.stop();
        assert.deepEqual(load.failures, []);
        assert.deepEqual(await connectionIds(steady), alphaConnections, 'the untouched pool kept its server connections');
        load = null;
      } finally {
        await load?.stop();
        await proxy.destroy();
      }
    });

    it('keeps the connections and DNS state of the server lines a changed pool keeps, and looks up its new names', async () => {
      const dns = await DnsServer.start();
      dns.answer('kept.test', ['127.0.0.1']);
      dns.answer('other.test', ['127.0.0.1']);
      const pool = (other: string, extra: Record<string, string | number | boolean> = {}) => ({
        servers: [`kept.test:${first.port}:1 kept`, `${other}:1 other`],
        options: { dns_servers: [dns.address], dns_resolve_interval: 0, server_connections: 1, preconnect: true, ...extra },
      });
      const proxy = await Nutcracker.start({ delta: pool(second.address) }, [], { global: { worker_processes: workers } });
      try {
        await waitFor('delta preconnected', async () => (await connectionIds(first)).length === workers, 5000);
        const kept = await connectionIds(first);
        const lookups = dns.queries('kept.test');
        // Were the kept server looked up again, it would get this address, where nothing listens.
        dns.answer('kept.test', ['127.0.0.9']);
        // The changed line is a name: the reloaded pool looks it up before it takes clients.
        const delta = { ...pool(`other.test:${steady.port}`, { hash_tag: '{}' }), listen: `127.0.0.1:${proxy.port('delta')}` };
        writeFileSync(proxy.confFile, extendedYaml({ worker_processes: workers }, { delta }));
        proxy.signal('SIGHUP');
        await waitFor('the changed line connected', async () => (await connectionIds(steady)).length >= workers, 5000);
        await waitFor('the old line closed', async () => (await connectionIds(second)).length === 0, 8000);
        assert.deepEqual(await connectionIds(first), kept, 'the unchanged line kept its server connections');
        assert.equal(dns.queries('kept.test'), lookups, 'the unchanged line was not looked up again');
        for (let i = 0; i < 2 * workers; i++) {
          const client = await RawClient.connect(proxy.port('delta'));
          for (const key of ['a', 'b', 'c', 'd', 'e', 'f']) {
            assert.equal(await client.command('SET', `{${key}}:kept`, key), '+OK\r\n', `SET through the reloaded pool; log:\n${proxy.output}`);
          }
          client.close();
        }
      } finally {
        await proxy.destroy();
        await dns.stop();
      }
    });
  });
}
