// twemproxy's `random`: every request picks a live server uniformly; weights and the key are ignored.
import type { Dispatcher } from './dispatcher.js';

export function buildRandom(liveServers: readonly number[]): Dispatcher {
  const choices = Int32Array.from(liveServers);
  return { serverFor: () => choices[Math.floor(Math.random() * choices.length)] };
}
