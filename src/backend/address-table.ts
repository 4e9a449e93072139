// Which address of a logical server a request goes to: a table rebuilt when the set of addresses,
// their health or (with latency routing) their shares change, so that the choice per request is
// one modulo or one index step, never a search.
//
// Without latency routing the address is chosen per client (client id modulo the healthy
// addresses): a client's requests to one server then all reach one address, in the order it sent
// them, while clients spread evenly over the addresses. With latency routing it is chosen per
// request from SELECTION_SLOTS slots laid out by share, so the configured split holds even for a
// single client; each client still gets its replies in its order (the client connection orders
// them). When no address is healthy, every address is in the table, so requests still reach one
// and fail there (and twemproxy's ejection can count the failures).

export interface Routable {
  readonly healthy: boolean;
}

/** Slots of the per-request table: shares are kept to 0.1%. */
export const SELECTION_SLOTS = 1000;

export class AddressTable<A extends Routable> {
  private entries: readonly A[] = [];
  /** Per-request slots (latency routing), empty for the per-client spread. */
  private slots: A[] = [];
  private cursor = 0;

  /** Takes the current addresses (the array may be kept: the caller gives a new one on each change). */
  rebuild(addresses: readonly A[]): void {
    const healthy = addresses.filter((address) => address.healthy);
    this.entries = healthy.length > 0 ? healthy : addresses;
    this.slots = [];
  }

  /**
   * Routes per request by `shares` (percent per address, in the order of `addresses`): each
   * address gets its share of SELECTION_SLOTS slots, interleaved so that consecutive requests
   * spread out. With no share above 0 it is the per-client spread of `rebuild`.
   */
  rebuildWeighted(addresses: readonly A[], shares: readonly number[]): void {
    this.rebuild(addresses);
    const counts = apportion(shares, SELECTION_SLOTS);
    const routed = addresses.filter((_, index) => counts[index]! > 0);
    if (routed.length === 0) return;
    this.entries = routed;
    this.slots = interleave(addresses, counts);
    this.cursor = 0;
  }

  /** The addresses requests may go to now. */
  get routed(): readonly A[] {
    return this.entries;
  }

  /** The address for a client's next request, or undefined when the server has no address (not resolved yet). */
  pick(clientId: number): A | undefined {
    const slots = this.slots;
    if (slots.length > 0) {
      const address = slots[this.cursor]!;
      this.cursor = this.cursor + 1 === slots.length ? 0 : this.cursor + 1;
      return address;
    }
    const entries = this.entries;
    return entries.length === 0 ? undefined : entries[clientId % entries.length];
  }

  /**
   * The connection slot for a client on the address `pick` gave: the clients of one address
   * spread over its connections (client id modulo the address count would use only one of them).
   */
  slot(clientId: number): number {
    return this.slots.length > 0 ? clientId : Math.floor(clientId / (this.entries.length || 1));
  }
}

/** Whole slot counts in proportion to `shares`, adding up to `total` (largest remainders first). */
export function apportion(shares: readonly number[], total: number): number[] {
  const sum = shares.reduce((a, b) => a + Math.max(0, b), 0);
  if (sum === 0) return shares.map(() => 0);
  const exact = shares.map((share) => (Math.max(0, share) * total) / sum);
  const counts = exact.map(Math.floor);
  let left = total - counts.reduce((a, b) => a + b, 0);
  const byRemainder = exact.map((value, index) => ({ index, remainder: value - counts[index]! }))
    .filter(({ index }) => shares[index]! > 0)
    .sort((a, b) => b.remainder - a.remainder);
  for (let i = 0; left > 0; i = (i + 1) % byRemainder.length, left--) counts[byRemainder[i]!.index]!++;
  return counts;
}

/** The slots in smooth weighted round-robin order: each address's slots spread evenly over the table. */
function interleave<A>(addresses: readonly A[], counts: readonly number[]): A[] {
  const total = counts.reduce((a, b) => a + b, 0);
  const credit = counts.map(() => 0);
  const slots: A[] = [];
  for (let slot = 0; slot < total; slot++) {
    let chosen = -1;
    for (let index = 0; index < counts.length; index++) {
      credit[index]! += counts[index]!;
      if (counts[index]! > 0 && (chosen === -1 || credit[index]! > credit[chosen]!)) chosen = index;
    }
    credit[chosen]! -= total;
    slots.push(addresses[chosen]!);
  }
  return slots;
}
