// The shared connections of one address: a fixed number of slots (RESP2, and RESP3 for clients
// that said HELLO 3), each opened when first needed, and the transaction connections given back
// for the next transaction (parked). `connection_warming` opens the first slots
// as soon as the address is known and keeps them open; `connection_idle_timeout` closes the
// others once they have carried no request for that long. Time and timers are injected.
import type { Clock, TimerHandle, Timers } from '../util/clock.js';

/** What the pool needs of a connection. */
export interface PooledConnection {
  readonly closed: boolean;
  /** Requests sent on it so far: a count that did not move between two sweeps means no use. */
  readonly sent: number;
  /** Requests still waiting for their reply. */
  readonly inFlight: number;
  closeWhenAnswered(): void;
  destroy(): void;
}

/** What the pool needs of its address. */
export interface PoolOwner<C extends PooledConnection> {
  /** A new connection (it connects, then says the set-up requests: AUTH, SELECT, HELLO 3). */
  open(resp3: boolean): C;
  /** False while the address is unhealthy or draining: a warm connection that closed is not reopened then. */
  readonly warmable: boolean;
}

export interface PoolLimits {
  /** Slots per protocol version (server_connections, or this address's share of them). */
  size: number;
  /** Slots opened at once and kept open (connection_warming, at most size). */
  warm: number;
  /** ms without a request after which a connection beyond the warm ones closes; 0 = never. */
  idleTimeoutMs: number;
}

/** How often warm slots are refilled when idle connections are not being closed. */
export const REWARM_INTERVAL_MS = 1000;
const MIN_SWEEP_MS = 100;
const MAX_SWEEP_MS = 30_000;

/** A slot's use as the sweeps saw it: `sent` and whether a request was in flight at the last one, and the last that saw it used. */
interface Use {
  sent: number;
  busy: boolean;
  since: number;
}

export class ConnectionPool<C extends PooledConnection> {
  private size: number;
  private readonly slots: (C | null)[][] = [[], []];
  private readonly uses: Use[][] = [[], []];
  /** Connections of slots removed by resize, still finishing their requests. */
  private readonly retired = new Set<C>();
  /** Transaction connections given back, with when: at most `size` of them. */
  private parked: { connection: C; since: number }[] = [];
  private timer: TimerHandle | undefined;
  private stopped = false;

  constructor(
    private readonly owner: PoolOwner<C>,
    private readonly limits: PoolLimits,
    private readonly clock: Clock,
    private readonly timers: Timers,
  ) {
    this.size = limits.size;
    this.fitSlots();
  }

  /** Opens the warm connections and starts the sweeps that keep them open and close the idle ones. */
  start(): void {
    this.openWarm();
    this.scheduleSweep();
  }

  /** The connection of `slot` (taken modulo the size), opened if it is not open. */
  connection(slot: number, resp3: boolean): C {
    const slots = this.slots[resp3 ? 1 : 0]!;
    const index = slot % slots.length;
    let connection = slots[index]!;
    if (connection === null || connection.closed) {
      connection = this.owner.open(resp3);
      slots[index] = connection;
      this.uses[resp3 ? 1 : 0]![index] = { sent: 0, busy: false, since: this.clock.now() };
    }
    return connection;
  }

  /** Every RESP2 slot open now (preconnect). */
  openAll(): void {
    for (let slot = 0; slot < this.size; slot++) this.connection(slot, false);
  }

  /** Changes the number of slots (this address's share of a server's connections); those beyond close once answered. */
  resize(size: number): void {
    if (size === this.size) return;
    const beyond = this.slots.flatMap((slots) => slots.slice(size));
    this.size = size;
    this.fitSlots();
    // Out of the slots first: one that closes at once is then found among the retired.
    for (const connection of beyond) {
      if (connection === null) continue;
      this.retired.add(connection);
      connection.closeWhenAnswered();
    }
  }

  get slotCount(): number {
    return this.size;
  }

  /** Keeps a transaction connection given back for the next transaction; false when `size` are kept already. */
  park(connection: C): boolean {
    if (this.stopped || this.parked.length >= this.size) return false;
    this.parked.push({ connection, since: this.clock.now() });
    return true;
  }

  /** The transaction connection parked last that is still open, taken out of the pool. */
  unpark(): C | undefined {
    for (let entry = this.parked.pop(); entry !== undefined; entry = this.parked.pop()) {
      if (!entry.connection.closed) return entry.connection;
    }
    return undefined;
  }

  /** The slot `connection` holds and whether it is a RESP3 one; undefined when it holds none. */
  placeOf(connection: C): { slot: number; resp3: boolean } | undefined {
    for (let version = 0; version < 2; version++) {
      const slot = this.slots[version]!.indexOf(connection);
      if (slot !== -1) return { slot, resp3: version === 1 };
    }
    return undefined;
  }

  /** The slot `connection` holds, forgotten (it closed); false when it is none of the pool's. */
  forget(connection: C): boolean {
    for (const slots of this.slots) {
      const index = slots.indexOf(connection);
      if (index === -1) continue;
      slots[index] = null;
      return true;
    }
    return this.retired.delete(connection);
  }

  get empty(): boolean {
    return this.retired.size === 0 && this.slots.every((slots) => slots.every((connection) => connection === null));
  }

  /** No more sweeps; each connection closes once its requests are answered (the address left the set). */
  drain(): void {
    this.stop();
    for (const slots of this.slots) for (const connection of slots) connection?.closeWhenAnswered();
    for (const { connection } of this.takeParked()) connection.closeWhenAnswered();
  }

  /** No more sweeps; every connection closes now (shutdown). */
  closeAll(): void {
    this.stop();
    for (const slots of this.slots) for (const connection of slots) connection?.destroy();
    for (const connection of this.retired) connection.destroy();
    for (const { connection } of this.takeParked()) connection.destroy();
  }

  /** One sweep: closes the connections beyond the warm ones idle for idleTimeoutMs, reopens missing warm ones. */
  sweep(): void {
    const now = this.clock.now();
    if (this.limits.idleTimeoutMs > 0) {
      for (let version = 0; version < 2; version++) this.closeIdle(this.slots[version]!, this.uses[version]!, now);
      this.closeIdleParked(now);
    }
    if (this.owner.warmable) this.openWarm();
  }

  private closeIdle(slots: (C | null)[], uses: Use[], now: number): void {
    // RESP3 connections are never warm: the warm slots are the first RESP2 ones.
    const warm = slots === this.slots[0] ? this.warmCount : 0;
    for (let index = warm; index < slots.length; index++) {
      const connection = slots[index];
      if (connection === null || connection === undefined || connection.closed) continue;
      const use = uses[index]!;
      // Busy at the last sweep counts as used since then: the reply came in some time after it.
      const used = connection.sent !== use.sent || connection.inFlight > 0 || use.busy;
      use.busy = connection.inFlight > 0;
      if (used) {
        use.sent = connection.sent;
        use.since = now;
      } else if (now - use.since >= this.limits.idleTimeoutMs) {
        connection.destroy();
      }
    }
  }

  /** Parked connections are never warm: each closes once parked idleTimeoutMs with nothing in flight. */
  private closeIdleParked(now: number): void {
    const expired = this.parked.filter(({ connection, since }) => connection.closed || (connection.inFlight === 0 && now - since >= this.limits.idleTimeoutMs));
    if (expired.length === 0) return;
    this.parked = this.parked.filter((entry) => !expired.includes(entry));
    for (const { connection } of expired) connection.destroy();
  }

  private takeParked(): { connection: C; since: number }[] {
    const parked = this.parked;
    this.parked = [];
    return parked;
  }

  private get warmCount(): number {
    return Math.min(this.limits.warm, this.size);
  }

  private openWarm(): void {
    for (let slot = 0; slot < this.warmCount; slot++) this.connection(slot, false);
  }

  /**
   * Idle connections are found within a tenth of the timeout after it (a count that moved is
   * taken as used at the sweep that saw it, so none closes early); warm slots are refilled on the
   * same beat, or every REWARM_INTERVAL_MS when nothing idles out.
   */
  private get sweepInterval(): number {
    if (this.limits.idleTimeoutMs === 0) return REWARM_INTERVAL_MS;
    return Math.min(Math.max(this.limits.idleTimeoutMs / 10, MIN_SWEEP_MS), MAX_SWEEP_MS);
  }

  private scheduleSweep(): void {
    if (this.stopped || (this.limits.idleTimeoutMs === 0 && this.limits.warm === 0)) return;
    this.timer = this.timers.setTimeout(() => {
      this.timer = undefined;
      this.sweep();
      this.scheduleSweep();
    }, this.sweepInterval);
  }

  private stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private fitSlots(): void {
    for (let version = 0; version < 2; version++) {
      const slots = this.slots[version]!;
      const uses = this.uses[version]!;
      slots.length = this.size;
      uses.length = this.size;
      for (let index = 0; index < this.size; index++) {
        slots[index] ??= null;
        uses[index] ??= { sent: 0, busy: false, since: 0 };
      }
    }
  }
}
