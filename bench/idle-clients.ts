// Many idle client connections: opened in batches (so the listen backlog never overflows), then held.
import { connect, type Socket } from 'node:net';

const BATCH = 250;
const CONNECT_TIMEOUT_MS = 10000;

/** Opens `count` connections to 127.0.0.1:`port` that send nothing; rejects if one cannot be opened. */
export async function openIdleClients(port: number, count: number): Promise<Socket[]> {
  const sockets: Socket[] = [];
  try {
    while (sockets.length < count) {
      const batch = Math.min(BATCH, count - sockets.length);
      sockets.push(...await Promise.all(Array.from({ length: batch }, () => openOne(port))));
    }
    return sockets;
  } catch (err) {
    closeIdleClients(sockets);
    throw new Error(`opened ${sockets.length} of ${count} idle connections: ${(err as Error).message}`);
  }
}

export function closeIdleClients(sockets: readonly Socket[]): void {
  for (const socket of sockets) socket.destroy();
}

function openOne(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1', timeout: CONNECT_TIMEOUT_MS });
    socket.once('connect', () => {
      socket.setTimeout(0);
      socket.removeAllListeners('error');
      socket.on('error', () => undefined);
      resolve(socket);
    });
    socket.once('timeout', () => socket.destroy(new Error('connect timed out')));
    socket.once('error', reject);
  });
}
