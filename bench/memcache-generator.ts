// The benchmark's memcached load generator, run as its own process (so it does not share the
// bench's event loop): `node memcache-generator.js '<MemcacheLoad as JSON>' <port>`. Each client
// keeps `pipeline` requests in flight; prints one JSON line of figures per test on stdout.
import { connect, type Socket } from 'node:net';
import type { MemcacheLoad, MemcacheTest } from './memcache-load.js';

interface Figures {
  test: string;
  opsPerSec: number;
  p50Ms: number;
  p99Ms: number;
}

const END = Buffer.from('END\r\n');
const LF = 10;

async function main(): Promise<void> {
  const load = JSON.parse(process.argv[2]!) as MemcacheLoad;
  const port = Number(process.argv[3]);
  const sockets = await Promise.all(Array.from({ length: load.clients }, () => open(port)));
  const results: Figures[] = [];
  for (const test of load.tests) results.push(await runTest(sockets, load, test));
  for (const socket of sockets) socket.destroy();
  process.stdout.write(`${JSON.stringify(results)}\n`);
}

function open(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1' }, () => resolve(socket));
    socket.setNoDelay(true);
    socket.once('error', reject);
  });
}

/** Every client sends batches of `pipeline` requests until `load.requests` were answered in all. */
async function runTest(sockets: readonly Socket[], load: MemcacheLoad, test: MemcacheTest): Promise<Figures> {
  const latencies = new Float64Array(load.requests);
  let issued = 0;
  let answered = 0;
  const started = process.hrtime.bigint();
  await Promise.all(sockets.map(async (socket) => {
    for (;;) {
      const batch = Math.min(load.pipeline, load.requests - issued);
      if (batch <= 0) return;
      issued += batch;
      const sent = process.hrtime.bigint();
      await roundTrip(socket, requests(load, test, batch), batch, test === 'set' ? countLines : countEnds);
      const ms = Number(process.hrtime.bigint() - sent) / 1e6;
      for (let i = 0; i < batch; i++) latencies[answered++] = ms;
    }
  }));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  latencies.sort();
  return {
    test: test.toUpperCase(),
    opsPerSec: Math.round(load.requests / seconds),
    p50Ms: latencies[Math.floor(load.requests * 0.5)]!,
    p99Ms: latencies[Math.floor(load.requests * 0.99)]!,
  };
}

function requests(load: MemcacheLoad, test: MemcacheTest, count: number): string {
  let text = '';
  for (let i = 0; i < count; i++) {
    if (test === 'set') {
      text += `set key:${randomKey(load)} 0 0 ${load.valueSize}\r\n${'x'.repeat(load.valueSize)}\r\n`;
    } else {
      text += 'get';
      for (let k = 0; k < (test === 'mget' ? load.keysPerGet : 1); k++) text += ` key:${randomKey(load)}`;
      text += '\r\n';
    }
  }
  return text;
}

function randomKey(load: MemcacheLoad): number {
  return Math.floor(Math.random() * load.keyspace);
}

type Counter = (chunk: Buffer) => number;

/** STORED lines: one LF per reply. */
const countLines: Counter = (chunk) => {
  let count = 0;
  for (let pos = chunk.indexOf(LF); pos !== -1; pos = chunk.indexOf(LF, pos + 1)) count++;
  return count;
};

/** get replies end with END; values are all 'x', so END is found nowhere else (a chunk may cut it: see roundTrip). */
const countEnds: Counter = (chunk) => {
  let count = 0;
  for (let pos = chunk.indexOf(END); pos !== -1; pos = chunk.indexOf(END, pos + END.length)) count++;
  return count;
};

/** Writes the batch and resolves once `expected` replies came back. */
function roundTrip(socket: Socket, data: string, expected: number, count: Counter): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = 0;
    let tail: Buffer = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      // Keep the last bytes so an END split across chunks is counted once, when complete.
      const joined = tail.length === 0 ? chunk : Buffer.concat([tail, chunk]);
      const complete = joined.lastIndexOf(LF) + 1;
      seen += count(joined.subarray(0, complete));
      tail = joined.subarray(complete);
      if (seen >= expected) {
        socket.off('data', onData);
        socket.off('error', reject);
        resolve();
      }
    };
    socket.on('data', onData);
    socket.once('error', reject);
    socket.write(data);
  });
}

main().catch((err: unknown) => {
  process.stderr.write(`memcache-generator: ${(err as Error).message}\n`);
  process.exitCode = 1;
});
