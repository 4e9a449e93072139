// At its open file limit (EMFILE) the proxy keeps running, tells clients and the log in words
// what happened and what to raise, and logs it once per burst rather than once per client.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Nutcracker } from '../helpers/nutcracker.js';
import { RawClient } from '../helpers/raw-client.js';
import { RedisServer } from '../helpers/redis-server.js';
import { waitFor } from '../helpers/ports.js';
import { processRunning } from '../helpers/process.js';

/** Low enough to reach with a few dozen clients, high enough for Node.js to load its modules. */
const OPEN_FILE_LIMIT = 64;
/** More clients than the limit leaves room for. */
const CLIENTS = 80;

function linesMatching(proxy: Nutcracker, pattern: RegExp): string[] {
  return proxy.output.split('\n').filter((line) => pattern.test(line));
}

describe('open file limit', () => {
  it('closes the clients beyond it, answers requests that need a new server connection with an error naming the limit, logs each once, and recovers', async () => {
    const redis = await RedisServer.start();
    const proxy = await Nutcracker.start({ alpha: { servers: [`${redis.address}:1`] } }, [], { openFileLimit: OPEN_FILE_LIMIT });
    const clients: RawClient[] = [];
    try {
      for (let i = 0; i < CLIENTS; i++) clients.push(await RawClient.connect(proxy.port('alpha')));
      // The kernel completes every connection; the proxy accepts until it has no descriptor left, then closes the rest.
      await waitFor('the clients beyond the limit to be closed', () => clients.some((client) => client.closed), 10000);
      const open = clients.filter((client) => !client.closed);
      assert.ok(open.length > 0 && open.length < CLIENTS, `${open.length} of ${CLIENTS} clients stay connected`);
      assert.equal(await open[0]!.command('PING'), '+PONG\r\n', 'connected clients are served');

      // No descriptor is left for the server connection that a GET needs.
      for (const client of open.slice(0, 5)) {
        assert.match(await client.command('GET', 'k'),
          /^-ERR Too many open files: nutcracker reached its open file limit \(raise it with ulimit -n, or LimitNOFILE= under systemd\)\r\n$/);
      }
      assert.equal(linesMatching(proxy, /new clients on 127\.0\.0\.1:\d+ are closed at once/).length, 1,
        `one line for the burst of closed clients:\n${proxy.output}`);
      assert.equal(linesMatching(proxy, /server '.*' of pool 'alpha' closed: Too many open files/).length, 1,
        `one line for the five failed server connections:\n${proxy.output}`);
      assert.doesNotMatch(proxy.output, /EMFILE|undefined/, 'the log says it in words');

      // Once clients leave, descriptors are free again: new clients and server connections work.
      for (const client of open.slice(5, 25)) client.close();
      await waitFor('the proxy to see the clients leave', async () => {
        const probe = await RawClient.connect(proxy.port('alpha'));
        try {
          return (await probe.command('GET', 'k').catch(() => '')) === '$-1\r\n';
        } finally {
          probe.close();
        }
      }, 10000);
      assert.ok(processRunning(proxy.pid), 'the proxy kept running');
    } finally {
      for (const client of clients) client.close();
      await proxy.destroy();
      await redis.destroy();
    }
  });
});
