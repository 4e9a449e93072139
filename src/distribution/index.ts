// Key -> server mapping for a pool, by twemproxy distribution name.
import type { DistributionName } from '../config/types.js';
import { liveIndexes, NO_LIVE_SERVER, type Dispatcher, type WeightedServer } from './dispatcher.js';
import { buildKetama } from './ketama.js';
import { buildModula } from './modula.js';
import { buildRandom } from './random.js';

export type { Dispatcher, WeightedServer } from './dispatcher.js';
export { ketamaPointsFor } from './ketama.js';

/**
 * Builds the dispatcher twemproxy would build for these servers (already in its sorted order).
 * `live[i]` is false for an ejected server: it is left out as twemproxy leaves it out when it
 * rebuilds, so the live servers' shares grow. Pools without auto_eject_hosts pass all true.
 */
export function buildDispatcher(
  distribution: DistributionName,
  servers: readonly WeightedServer[],
  live: readonly boolean[],
): Dispatcher {
  if (live.length !== servers.length) {
    throw new RangeError(`live has ${live.length} entries for ${servers.length} servers`);
  }
  const liveServers = liveIndexes(live);
  if (liveServers.length === 0) return NO_LIVE_SERVER;
  switch (distribution) {
    case 'ketama':
      return buildKetama(servers, liveServers);
    case 'modula':
      return buildModula(servers, liveServers);
    case 'random':
      return buildRandom(liveServers);
    default:
      throw new RangeError(`unknown distribution '${String(distribution)}'`);
  }
}
