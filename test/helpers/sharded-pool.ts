// The common test set-up: N real redis-servers behind one nutcracker pool named `alpha`.
import { Nutcracker } from './nutcracker.js';
import { type RedisServer, startRedisServers } from './redis-server.js';

export class ShardedPool {
  private constructor(readonly servers: RedisServer[], readonly proxy: Nutcracker) {}

  /** Starts `shards` redis-servers (named s1, s2, ...) and a proxy in front of them. */
  static async start(shards: number, options: Record<string, string | number | boolean> = {}): Promise<ShardedPool> {
    const servers = await startRedisServers(shards);
    try {
      const proxy = await Nutcracker.start({ alpha: { servers: servers.map((server, i) => `${server.address}:1 s${i + 1}`), options } });
      return new ShardedPool(servers, proxy);
    } catch (err) {
      for (const server of servers) await server.destroy();
      throw err;
    }
  }

  get port(): number {
    return this.proxy.port('alpha');
  }

  async destroy(): Promise<void> {
    await this.proxy.destroy();
    for (const server of this.servers) await server.destroy();
  }
}
