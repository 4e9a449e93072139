// Every signal twemproxy handles, sent to the real command: logged by name, and none of them
// opens Node's debugger or kills a proxy that twemproxy would keep running.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Nutcracker } from '../helpers/nutcracker.js';
import { RawClient, encode } from '../helpers/raw-client.js';
import { RedisServer } from '../helpers/redis-server.js';
import { waitFor } from '../helpers/ports.js';
import { processRunning } from '../helpers/process.js';

/** No server is needed: PING is answered by the proxy itself. */
const POOLS = { alpha: { servers: ['127.0.0.1:1:1'] } };

async function assertServes(proxy: Nutcracker, after: string): Promise<void> {
  const client = await RawClient.connect(proxy.port('alpha'));
  try {
    assert.equal(await client.command('PING'), '+PONG\r\n', `still serving after ${after}`);
  } finally {
    client.close();
  }
}

describe('signals', () => {
  it('SIGUSR1, SIGUSR2 and SIGALRM are logged by name and change nothing; SIGUSR1 opens no debugger', async () => {
    const proxy = await Nutcracker.start(POOLS, []);
    try {
      const cases: [NodeJS.Signals, RegExp][] = [
        ['SIGUSR1', /signal 10 \(SIGUSR1\) received\n/],
        ['SIGUSR2', /signal 12 \(SIGUSR2\) received\n/],
        ['SIGALRM', /signal 14 \(SIGALRM\) received, ignored\n/],
      ];
      for (const [signal, line] of cases) {
        proxy.signal(signal);
        await waitFor(`the ${signal} log line; output so far: ${proxy.output}`, () => line.test(proxy.output) || !processRunning(proxy.pid), 5000);
        assert.ok(processRunning(proxy.pid), `${signal} must not stop the proxy: ${proxy.output}`);
        await assertServes(proxy, signal);
      }
      assert.doesNotMatch(proxy.output, /Debugger listening|inspector/i, 'SIGUSR1 must not open the Node.js inspector');
    } finally {
      await proxy.destroy();
    }
  });

  it('SIGPIPE is ignored, as by twemproxy', async () => {
    const proxy = await Nutcracker.start(POOLS, []);
    try {
      proxy.signal('SIGPIPE');
      proxy.signal('SIGALRM');
      // Linux delivers pending signals lowest number first: once SIGALRM (14) is logged, SIGPIPE (13) was dealt with.
      await waitFor('the SIGALRM log line', () => /SIGALRM/.test(proxy.output) || !processRunning(proxy.pid), 5000);
      assert.ok(processRunning(proxy.pid), `SIGPIPE must not stop the proxy: ${proxy.output}`);
      await assertServes(proxy, 'SIGPIPE');
    } finally {
      await proxy.destroy();
    }
  });

  it('SIGSEGV ends the process by that signal (a core dump where the limit allows), as twemproxy does', async () => {
    const proxy = await Nutcracker.start(POOLS, []);
    try {
      const died = proxy.exited();
      proxy.signal('SIGSEGV');
      assert.deepEqual(await died, { code: null, signal: 'SIGSEGV' });
    } finally {
      await proxy.destroy();
    }
  });
});

/** INCR replies received in order: ":1", ":2", ... Returns how many, failing on anything else. */
function countIncrReplies(client: RawClient, who: string): number {
  const lines = client.data.split('\r\n');
  let count = 0;
  for (const line of lines.slice(0, -1)) {
    assert.equal(line, `:${count + 1}`, `${who}: reply ${count + 1} in order`);
    count++;
  }
  return count;
}

describe('graceful stop while clients pipeline', () => {
  it('SIGTERM stops reading: every request the proxy read gets its reply, none is executed unanswered', async () => {
    const redis = await RedisServer.start();
    const proxy = await Nutcracker.start({ alpha: { servers: [`${redis.address}:1`] } });
    const clients: RawClient[] = [];
    try {
      for (let i = 0; i < 4; i++) clients.push(await RawClient.connect(proxy.port('alpha')));
      // An INCR that keeps the server busy for 1 ms, so that the server always has requests to work on.
      const slowIncr = (i: number) => encode('EVAL', "local t=redis.call('TIME') local e=t[1]*1000000+t[2]+1000 " +
        "repeat t=redis.call('TIME') until t[1]*1000000+t[2]>=e return redis.call('INCR', KEYS[1])", '1', `drain:${i}`);
      const batch = (i: number) => Buffer.concat(Array.from({ length: 40 }, () => slowIncr(i)));
      // Each client keeps 40 to 80 requests in flight until it is closed, longer than a stop may take (bounded: 15 s).
      const writers = clients.map(async (client, i) => {
        const deadline = Date.now() + 15000;
        for (let answered = 0; !client.closed && Date.now() < deadline; answered += 40) {
          client.write(batch(i));
          await client.until(() => client.closed || client.data.split('\r\n').length - 1 >= answered, 10000).catch(() => undefined);
        }
      });
      await waitFor('every client to have 100 replies', () => clients.every((c) => c.data.split('\r\n').length > 100), 10000);
      proxy.signal('SIGTERM');
      assert.deepEqual(await proxy.exited(), { code: 0, signal: null });
      await Promise.all(writers);
      for (const [i, client] of clients.entries()) {
        assert.equal(await client.waitClosed(5000), true, `client ${i} is closed`);
        const replies = countIncrReplies(client, `client ${i}`);
        const executed = Number((await redis.command('GET', `drain:${i}`)).split('\r\n')[1]);
        assert.equal(replies, executed, `client ${i}: every INCR the server executed was answered`);
      }
    } finally {
      for (const client of clients) client.close();
      await proxy.destroy();
      await redis.destroy();
    }
  });
});
