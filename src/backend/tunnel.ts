// A raw connection to one address for a tcp pool's client: opened with the pool's connector,
// counted as a server connection, timed from the connect to the server's first byte (a latency
// sample), and reporting to its address whether the server answered or failed. The relaying
// itself is the proxy's (src/proxy/tcp-relay.ts).
import type { Socket } from 'node:net';
import type { Connector, Endpoint } from './connector.js';
import type { LatencyEstimator } from './latency-estimator.js';
import type { ServerConfig } from '../config/types.js';
import type { ServerStats } from '../stats/counters.js';
import type { AddressCounters } from './server-connection.js';
import { connectionClosed, connectionOpened } from '../stats/counters.js';

/** What a tunnel needs from its address. */
export interface TunnelContext {
  readonly config: ServerConfig;
  readonly endpoint: Endpoint;
  readonly connector: Connector;
  readonly tcpKeepalive: boolean;
  readonly stats: ServerStats;
  readonly addressStats: AddressCounters;
  readonly latency: LatencyEstimator;
  /** The server sent bytes: it works. */
  serverAnswered(): void;
  /** The connection failed (refused, reset, or closed before the server said anything). */
  tunnelFailed(): void;
}

/**
 * Opens a tunnel; the socket is the caller's to relay. A failure: an error (refused, reset), or
 * the server closing before it sent a byte (a load balancer or relay in front of a dead server
 * accepts, then closes). The client closing first is none.
 */
export function openTunnel(context: TunnelContext): Socket {
  const startedAt = performance.now();
  const socket = context.connector.open(context.endpoint, context.config.host);
  socket.setNoDelay(true);
  if (context.tcpKeepalive) socket.setKeepAlive(true);
  connectionOpened();
  context.stats.server_connections++;
  context.addressStats.requests++;
  let answered = false;
  let failed = false;
  let serverEnded = false;
  socket.once('data', () => {
    answered = true;
    context.addressStats.responses++;
    context.latency.record((performance.now() - startedAt) * 1000);
    context.serverAnswered();
  });
  socket.on('error', () => {
    failed = true;
  });
  socket.once('end', () => {
    serverEnded = true;
  });
  socket.once('close', () => {
    connectionClosed();
    context.stats.server_connections--;
    if (failed) context.stats.server_err++;
    else if (serverEnded) context.stats.server_eof++;
    if (failed || (serverEnded && !answered)) {
      context.latency.recordFailure((performance.now() - startedAt) * 1000);
      context.tunnelFailed();
    }
  });
  return socket;
}
