// The probe of one address of a tcp pool: a connection every TCP_PROBE_EVERY_TICKS ticks (2 s),
// timed from the connect to the server's first byte; for a server that does not speak first, the
// connect alone once FIRST_BYTE_WAIT_MS passed with the connection open. A close before any byte
// or an error is a failure (a load balancer in front of a dead server accepts, then closes).
// Less often than request probes: each is a connection the server sees opened and dropped
// (MySQL and MariaDB count them against max_connect_errors unless a good login comes in between).
import type { Socket } from 'node:net';
import type { Address } from './address.js';
import type { AddressProbe } from './latency-probe.js';
import { connectionClosed, connectionOpened } from '../stats/counters.js';

export const TCP_PROBE_EVERY_TICKS = 4;
export const FIRST_BYTE_WAIT_MS = 1000;

export class TcpProbe implements AddressProbe {
  private socket: Socket | null = null;
  private ticks = 0;
  private stopped = false;

  constructor(private readonly address: Address) {}

  tick(now: number): void {
    if (this.socket !== null || this.ticks++ % TCP_PROBE_EVERY_TICKS !== 0) return;
    this.probe(now);
  }

  stop(): void {
    this.stopped = true;
    this.socket?.destroy();
  }

  private probe(startedAt: number): void {
    const address = this.address;
    const socket = address.connector.open(address.endpoint, address.config.host);
    this.socket = socket;
    connectionOpened();
    let settled = false;
    let connectedAt = 0;
    const settle = (sample: number | null): void => {
      if (settled) return;
      settled = true;
      clearTimeout(silence);
      socket.destroy();
      if (this.stopped) return;
      if (sample === null) {
        address.latency.recordFailure((performance.now() - startedAt) * 1000);
        address.latencyProbeFailed();
      } else {
        address.latency.record(sample * 1000);
        address.serverAnswered();
      }
    };
    const silence = setTimeout(() => settle(connectedAt === 0 ? null : connectedAt - startedAt), FIRST_BYTE_WAIT_MS);
    silence.unref();
    socket.once(address.connector.readyEvent, () => (connectedAt = performance.now()));
    socket.once('data', () => settle(performance.now() - startedAt));
    socket.on('error', () => settle(null));
    socket.once('close', () => {
      settle(null);
      connectionClosed();
      this.socket = null;
    });
  }
}
