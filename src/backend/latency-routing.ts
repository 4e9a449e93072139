// Latency routing of one logical server: probes every address, and every probe tick (or at once
// when health or the address set changes) recomputes which address is the fastest (with
// hysteresis), the zones and the shares; when the shares change, the server's selection table is
// rebuilt and the new routing is logged. Without share rules (a tcp pool without latency_routing)
// it only probes, and the table keeps the even spread.
import type { Address } from './address.js';
import type { AddressTable } from './address-table.js';
import { latencyShares, type ShareRules } from './address-shares.js';
import { FastestAddress } from './fastest-address.js';
import { LATENCY_PROBE_INTERVAL_MS, type AddressProbe } from './latency-probe.js';
import { LOG_INFO, LOG_NOTICE, log } from '../log/logger.js';

/** How an address takes part in the routing now. */
export interface AddressRouting {
  /** Percent of the server's requests. */
  readonly share: number;
  /** 0 = the local zone; null when unknown or zones are off. */
  readonly zone: number | null;
  /** The fastest address (latency_weight% of the requests). */
  readonly fastest: boolean;
}

export class LatencyRouting {
  private addresses: readonly Address[] = [];
  private readonly probes = new Map<Address, AddressProbe>();
  private readonly fastest = new FastestAddress<Address>();
  private routing = new Map<Address, AddressRouting>();
  private best: Address | null = null;
  /** The slot counts of the table now, to rebuild and log only on a change. */
  private layout = '';
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly serverName: string,
    private readonly poolName: string,
    /** null: probing only, the table spreads evenly. */
    private readonly rules: ShareRules | null,
    private readonly table: AddressTable<Address>,
    private readonly newProbe: (address: Address) => AddressProbe,
  ) {}

  /** True when shares follow latency (latency_routing). */
  get weighted(): boolean {
    return this.rules !== null;
  }

  /** Starts probing (once the proxy runs, so that `-t` and unit tests open nothing). */
  start(): void {
    if (this.timer !== null) return;
    this.timer = setInterval(() => this.tick(), LATENCY_PROBE_INTERVAL_MS);
    this.timer.unref();
    this.tick();
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    for (const probe of this.probes.values()) probe.stop();
    this.probes.clear();
  }

  /** The server's addresses changed: probe the new ones, stop probing the ones that left. */
  setAddresses(addresses: readonly Address[]): void {
    this.addresses = addresses;
    for (const [address, probe] of this.probes) {
      if (addresses.includes(address)) continue;
      probe.stop();
      this.probes.delete(address);
    }
    if (this.timer !== null) for (const address of addresses) this.probeOf(address);
    this.update();
  }

  /** How `address` is routed now (share 0 when it takes no traffic). */
  routingOf(address: Address): AddressRouting {
    return this.routing.get(address) ?? { share: 0, zone: null, fastest: false };
  }

  /** Recomputes the shares; rebuilds the table and logs when they changed. */
  update(): void {
    const addresses = this.addresses;
    if (this.rules === null) return this.table.rebuild(addresses);
    const best = this.fastest.choose(addresses, performance.now());
    const { shares, zones } = latencyShares(addresses, best, this.rules);
    this.routing = new Map(addresses.map((address, index) => [address, { share: shares[index]!, zone: zones[index]!, fastest: index === best }]));
    const layout = `${best}:${shares.map((share) => share.toFixed(1)).join(',')}:${addresses.map((a) => a.label).join(',')}`;
    if (layout === this.layout) return;
    this.layout = layout;
    this.table.rebuildWeighted(addresses, shares);
    this.logRouting(best);
  }

  private tick(): void {
    const now = performance.now();
    for (const address of this.addresses) this.probeOf(address).tick(now);
    this.update();
  }

  private probeOf(address: Address): AddressProbe {
    let probe = this.probes.get(address);
    if (probe === undefined) {
      probe = this.newProbe(address);
      this.probes.set(address, probe);
    }
    return probe;
  }

  private logRouting(best: number): void {
    const address = this.addresses[best];
    if (address !== undefined && address !== this.best) {
      log.log(LOG_NOTICE, `selected best address ${best} for '${this.serverName}' (${this.describe(address)}): ` +
        `${address.label} of pool '${this.poolName}'`);
    }
    this.best = address ?? null;
    if (!log.enabled(LOG_INFO)) return;
    this.addresses.forEach((other, index) => {
      const zone = this.routingOf(other).zone;
      log.log(LOG_INFO, `routing of '${this.serverName}' of pool '${this.poolName}': address ${index} ${other.label}` +
        `${index === best ? ' (fastest)' : ''} ${other.healthy ? 'healthy' : 'unhealthy'}, ${this.describe(other)}` +
        (zone === null ? '' : `, zone ${zone}${zone === 0 ? ' (local)' : ''}`));
    });
  }

  private describe(address: Address): string {
    const latency = address.latencyMicros === null ? 'not measured' : `${Math.round(address.latencyMicros)}us`;
    return `latency: ${latency}, failures: ${address.failureCount}, weight: ${formatShare(this.routingOf(address).share)}%`;
  }
}

function formatShare(share: number): string {
  return Number.isInteger(share) ? String(share) : share.toFixed(1);
}
