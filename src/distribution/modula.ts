// twemproxy's `modula`: one slot per unit of weight of each live server, in server order;
// a key takes slot hash % slots.
import type { Dispatcher, WeightedServer } from './dispatcher.js';

export function buildModula(servers: readonly WeightedServer[], liveServers: readonly number[]): Dispatcher {
  const totalWeight = liveServers.reduce((sum, index) => sum + servers[index].weight, 0);
  const slots = new Int32Array(totalWeight);
  let slot = 0;
  for (const index of liveServers) {
    slots.fill(index, slot, slot + servers[index].weight);
    slot += servers[index].weight;
  }
  return { serverFor: (hash) => slots[hash % slots.length] };
}
