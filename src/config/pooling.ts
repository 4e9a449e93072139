// A pool's connection keys (connection_pooling, connection_warming, connection_idle_timeout),
// read and checked against server_connections and preconnect.
import type { Section } from './section.js';
import type { PoolingConfig, ProtocolName } from './types.js';

export const POOLING_POOL_KEYS: readonly string[] = ['connection_pooling', 'connection_warming', 'connection_idle_timeout'];

const DEFAULT_IDLE_TIMEOUT_SECONDS = 300;

/** `serverConnections`: the pool's server_connections, the most connections an address can have warm. */
export function readPooling(section: Section, serverConnections: number, protocol: ProtocolName): PoolingConfig {
  if (protocol === 'tcp') return refuseInTcpPool(section);
  const perAddress = section.bool('connection_pooling', false);
  const warm = section.int('connection_warming', 0, { min: 0, unit: 'connections' });
  const idleSeconds = section.int('connection_idle_timeout', DEFAULT_IDLE_TIMEOUT_SECONDS, { min: 0, unit: 'seconds' });
  const warmEntry = section.entry('connection_warming');
  if (warmEntry && warm > serverConnections) {
    section.problem(warmEntry, `is ${warm}, more than server_connections (${serverConnections}): warm connections are some of ` +
      'the server_connections an address keeps; lower connection_warming or raise server_connections');
  }
  const idleEntry = section.entry('connection_idle_timeout');
  if (idleEntry && !perAddress) {
    section.problem(idleEntry, "has no effect without 'connection_pooling: true' (without it, server connections stay open " +
      "as in twemproxy): add 'connection_pooling: true' to the pool, or remove the key");
  }
  return { perAddress, warm, idleTimeoutMs: perAddress ? idleSeconds * 1000 : 0 };
}

/** A tcp pool relays each client over a connection of its own: there is no connection to share, warm or close. */
function refuseInTcpPool(section: Section): PoolingConfig {
  for (const key of POOLING_POOL_KEYS) {
    const entry = section.entry(key);
    if (entry) section.problem(entry, 'has no effect in a tcp pool (each client is relayed over a server connection of its own): remove it');
  }
  return { perAddress: false, warm: 0, idleTimeoutMs: 0 };
}
