// Which requests a server connection times: only one written with nothing ahead of it, so a deep
// pipeline does not make a fast server look slow. Against a real socket server that answers each
// request DELAY_MS after the previous reply (one at a time, as Redis does).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createServer, type Server } from 'node:net';
import { ServerConnection, type ConnectionContext, type ForwardedRequest } from '../../src/backend/server-connection.js';
import { LatencyEstimator } from '../../src/backend/latency-estimator.js';
import { createConnector } from '../../src/backend/connector.js';
import { redisCodec } from '../../src/protocol/redis/codec.js';
import { PoolStats, ServerStats } from '../../src/stats/counters.js';
import { listenOnFreePort, waitFor } from '../helpers/ports.js';

const DELAY_MS = 30;
const PING = Buffer.from('*1\r\n$4\r\nPING\r\n');

/** Answers +PONG to each PING, DELAY_MS after the later of its arrival and the previous reply. */
function sequentialServer(): Server {
  return createServer((socket) => {
    let pending = Buffer.alloc(0);
    let free = 0;
    socket.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= PING.length) {
        pending = pending.subarray(PING.length);
        free = Math.max(Date.now(), free) + DELAY_MS;
        setTimeout(() => socket.write('+PONG\r\n'), free - Date.now());
      }
    });
  });
}

class Ping implements ForwardedRequest {
  deadline = 0;
  readonly expectsReply = true;
  readonly data = PING;
  reply: Buffer | null = null;

  complete(reply: Buffer): void {
    this.reply = Buffer.from(reply);
  }
}

describe('server connection latency samples', () => {
  let server: Server;
  let port = 0;
  before(async () => {
    server = sequentialServer();
    port = await listenOnFreePort(server, '127.0.0.1');
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('times only a request written with nothing ahead of it: queueing in a pipeline is not latency', async () => {
    const latency = new LatencyEstimator();
    const context: ConnectionContext = {
      config: { host: '127.0.0.1', port, weight: 1, name: 'fake', pname: `127.0.0.1:${port}:1`, isUnix: false, line: 1 },
      endpoint: { host: '127.0.0.1', port, isUnix: false },
      label: `127.0.0.1:${port}`,
      stats: new ServerStats(),
      addressStats: { requests: 0, responses: 0 },
      poolStats: new PoolStats(),
      poolName: 'test',
      timeout: null,
      tcpKeepalive: false,
      connector: createConnector(null),
      codec: redisCodec,
      maxReplyBytes: 1024 * 1024,
      latency,
      failoverReplies: null,
      connectionClosed: () => undefined,
      serverAnswered: () => undefined,
    };
    const connection = new ServerConnection(context, []);
    try {
      const first = new Ping();
      connection.send(first);
      await waitFor('the first reply', () => first.reply !== null);
      assert.equal(latency.samples, 0, 'a request written before the connect is not timed (it would count the connect)');

      const pipeline = Array.from({ length: 8 }, () => new Ping());
      for (const ping of pipeline) connection.send(ping);
      await waitFor('the pipeline\'s replies', () => pipeline.every((ping) => ping.reply !== null), 5000);
      assert.equal(latency.samples, 1, 'only the head of the pipeline is timed');
      // The eighth reply came 8 x DELAY_MS after it was written; the estimate is one round trip
      // (with room for a loaded machine's late timers).
      assert.ok(latency.micros >= DELAY_MS * 1000 && latency.micros < 4 * DELAY_MS * 1000, `estimate ${latency.micros} us`);
    } finally {
      connection.destroy();
    }
  });
});
