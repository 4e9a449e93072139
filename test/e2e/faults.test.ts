// Shards that die (SIGKILL), freeze (SIGSTOP, then SIGCONT), slow down, go silent or drop their
// connections in the middle of pipelines, with and without ejection. Honest clients check that
// every request is answered exactly once, in order, and never with another request's reply
// (an error is fine); afterwards every shard serves again.
import { after, afterEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DelayRelay } from '../helpers/delay-relay.js';
import { Nutcracker } from '../helpers/nutcracker.js';
import { RawClient } from '../helpers/raw-client.js';
import { startRedisServers, type RedisServer } from '../helpers/redis-server.js';
import { sleep, waitFor } from '../helpers/ports.js';
import { Findings } from '../fuzz/findings.js';
import { HonestClient } from '../fuzz/honest-client.js';
import { Prng } from '../fuzz/prng.js';
import { RESP, redisWorkload, type FaultMode } from '../fuzz/resp.js';
import { Watchdog } from '../fuzz/target.js';
import { processRunning } from '../helpers/process.js';

const SEED = 7;
const EJECTION = { auto_eject_hosts: true, server_failure_limit: 1, server_retry_timeout: 300 };

interface Shards {
  servers: RedisServer[];
  relays: DelayRelay[];
  proxy: Nutcracker;
}

/** Three redis-servers, each behind its own delaying relay, shared by the tests; a proxy per test. */
let backends: { servers: RedisServer[]; relays: DelayRelay[] } | null = null;
let proxy: Nutcracker | null = null;

async function shards(options: Record<string, string | number | boolean>): Promise<Shards> {
  if (backends === null) {
    const servers = await startRedisServers(3);
    const relays: DelayRelay[] = [];
    backends = { servers, relays };
    for (const server of servers) relays.push(await DelayRelay.start({ host: server.host, port: server.port }));
  }
  // Every test writes the same keys (the same seed): each starts from empty servers.
  for (const server of backends.servers) assert.equal(await server.command('FLUSHALL'), '+OK\r\n');
  proxy = await Nutcracker.start({ alpha: { servers: backends.relays.map((relay, i) => `${relay.address}:1 s${i + 1}`), options } });
  return { ...backends, proxy };
}

/** After each test: its proxy gone, every relay back to plain relaying. */
async function resetAfterTest(): Promise<void> {
  await proxy?.destroy();
  proxy = null;
  for (const relay of backends?.relays ?? []) {
    relay.setDelay('both', 0);
    relay.blackholed = false;
  }
}

async function stopBackends(): Promise<void> {
  await resetAfterTest();
  for (const relay of backends?.relays ?? []) await relay.close();
  for (const server of backends?.servers ?? []) await server.destroy();
  backends = null;
}

/**
 * Runs four honest pipelining clients for `ms` while `fault` runs (it starts 200 ms in), and
 * fails on any finding. Where the fault makes requests fail (`faults` other than 'none'), errors
 * are right answers, and some must have come (the fault hit); a value not the request's never is.
 */
async function underFault(set: Shards, faults: FaultMode, ms: number, fault: () => Promise<void>): Promise<void> {
  const findings = new Findings();
  const target = { port: set.proxy.port('alpha'), statsPort: set.proxy.statsPort, alive: () => processRunning(set.proxy.pid), output: () => set.proxy.output };
  const watchdog = new Watchdog(target, findings);
  const deadline = Date.now() + ms;
  const clients = Array.from({ length: 4 }, (_, index) => new HonestClient({
    port: target.port, protocol: RESP, workload: redisWorkload({ faults, largePipelines: false }), findings, index,
    errorsAllowed: faults !== 'none', rng: new Prng(SEED, index), replyTimeoutMs: 4000,
  }).run(() => Date.now() >= deadline || watchdog.crashed));
  await sleep(200);
  await fault();
  await Promise.all(clients);
  await watchdog.stop();
  const summary = findings.summary('fault run', SEED, 'node --test dist/test/e2e/faults.test.js');
  // A loaded machine checks fewer in the same time; some must have been checked for the run to mean anything.
  assert.ok(findings.checked > 50, `too few replies checked: ${summary}`);
  assert.equal(findings.total, 0, summary);
  if (faults !== 'none') assert.ok(findings.allowedErrors > 0, `the fault failed no request: ${summary}`);
}

/** After the fault: every shard answers through the proxy again (keys spread over all three). */
async function everyShardServes(set: Shards): Promise<void> {
  const client = await RawClient.connect(set.proxy.port('alpha'));
  try {
    await waitFor('every shard to serve again', async () => {
      for (let i = 0; i < 30; i++) {
        if ((await client.command('SET', `recover:${i}`, String(i))) !== '+OK\r\n') return false;
        if ((await client.command('GET', `recover:${i}`)) !== `$${String(i).length}\r\n${i}\r\n`) return false;
      }
      return true;
    }, 8000);
  } finally {
    client.close();
  }
}

describe('faults mid-pipeline', () => {
  afterEach(resetAfterTest);
  after(stopBackends);

  for (const eject of [false, true]) {
    const options = eject ? { ...EJECTION, timeout: 400 } : { timeout: 400 };
    const faults: FaultMode = eject ? 'ejection' : 'failures';
    const label = eject ? 'with ejection' : 'without ejection';

    test(`a shard killed (SIGKILL) and restarted, ${label}`, async () => {
      const set = await shards(options);
      await underFault(set, faults, 1100, async () => {
        await set.servers[1]!.stop();
        await sleep(500);
        await set.servers[1]!.run();
      });
      await everyShardServes(set);
    });

    test(`a shard frozen (SIGSTOP, then SIGCONT) past the timeout, ${label}`, async () => {
      const set = await shards(options);
      await underFault(set, faults, 1100, async () => {
        set.servers[0]!.signal('SIGSTOP');
        await sleep(700);
        set.servers[0]!.signal('SIGCONT');
      });
      await everyShardServes(set);
    });

    test(`a shard slowed past the timeout by a delaying relay, ${label}`, async () => {
      const set = await shards(options);
      await underFault(set, faults, 1100, async () => {
        set.relays[2]!.setDelay('toClient', 600);
        await sleep(700);
        set.relays[2]!.setDelay('toClient', 0);
      });
      await everyShardServes(set);
    });
  }

  test('a shard black-holed by the relay, then its connections dropped', async () => {
    const set = await shards({ timeout: 400 });
    await underFault(set, 'failures', 1100, async () => {
      set.relays[1]!.blackholed = true;
      await sleep(600);
      set.relays[1]!.blackholed = false;
      set.relays[1]!.dropConnections();
    });
    await everyShardServes(set);
  });

  test('a shard frozen without a timeout: its requests wait and are answered after SIGCONT', async () => {
    const set = await shards({});
    await underFault(set, 'none', 1500, async () => {
      set.servers[2]!.signal('SIGSTOP');
      await sleep(500);
      set.servers[2]!.signal('SIGCONT');
    });
  });

  test('a shard slowed (300 ms each way) below the timeout: every reply correct, only later', async () => {
    const set = await shards({ timeout: 2000 });
    await underFault(set, 'none', 1500, async () => {
      set.relays[0]!.setDelay('both', 300);
      await sleep(600);
      set.relays[0]!.setDelay('both', 0);
    });
  });
});
