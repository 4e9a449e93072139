// The Node.js Redis clients users run, connected to the proxy with their default options.
import { createClient } from 'redis';
import { Redis as IORedis } from 'ioredis';

export interface NodeClients {
  nodeRedis: ReturnType<typeof createClient>;
  ioredis: IORedis;
  close(): void;
}

/** A node-redis and an ioredis client of 127.0.0.1:`port`, both connected. */
export async function connectNodeClients(port: number): Promise<NodeClients> {
  const nodeRedis = createClient({ url: `redis://127.0.0.1:${port}` });
  nodeRedis.on('error', () => undefined);
  await nodeRedis.connect();
  const ioredis = new IORedis({ host: '127.0.0.1', port, lazyConnect: true, maxRetriesPerRequest: 1 });
  ioredis.on('error', () => undefined);
  await ioredis.connect();
  return {
    nodeRedis,
    ioredis,
    close: () => {
      nodeRedis.destroy();
      ioredis.disconnect();
    },
  };
}
