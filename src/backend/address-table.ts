// Which address of a logical server a request goes to: a table rebuilt when the set of addresses,
// their health or (with latency routing) their shares change, so that the choice per request is
// one modulo or one index step, never a search.
//
// The address is chosen per request (SPEC section 3), so that the spread holds even for a single
// client and a single server connection: without latency routing in turn over the healthy
// addresses, with it from SELECTION_SLOTS slots laid out by share. Each client still gets its
// replies in its order (the client connection orders them), and on each address it keeps one
// connection (its client id picks it), so its requests to one address run in its order. When no address is healthy, every address is in the table, so requests still reach one
// and fail there (and twemproxy's ejection can count the failures).

export interface Routable {
  readonly healthy: boolean;
}

/** Slots of the per-request table: shares are kept to 0.1%. */
export const SELECTION_SLOTS = 1000;

export class AddressTable<A extends Routable> {
  private entries: readonly A[] = [];
  /** Per-request slots (latency routing), empty for the even spread over `entries`. */
  private slots: A[] = [];
  private cursor = 0;

  /** Takes the current addresses (the array may be kept: the caller gives a new one on each change). */
  rebuild(addresses: readonly A[]): void {
    const healthy = addresses.filter((address) => address.healthy);
    this.entries = healthy.length > 0 ? healthy : addresses;
    this.slots = [];
    this.cursor = 0;
  }

  /**
   * Routes per request by `shares` (percent per address, in the order of `addresses`): each
   * address gets its share of SELECTION_SLOTS slots, interleaved so that consecutive requests
   * spread out. With no share above 0 it is the even spread of `rebuild`.
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

  /** The address for the next request, or undefined when the server has no address (not resolved yet). */
  pick(): A | undefined {
    const order = this.slots.length > 0 ? this.slots : this.entries;
    if (order.length === 0) return undefined;
    const address = order[this.cursor]!;
    this.cursor = this.cursor + 1 >= order.length ? 0 : this.cursor + 1;
    return address;
  }

  /**
   * The address for a tcp client's connect attempt `turn` (its id plus the attempts it made):
   * without shares the addresses by turn, so that a client whose connect failed tries the next one
   * whatever other clients picked meanwhile; with shares, as `pick`.
   */
  pickFor(turn: number): A | undefined {
    if (this.slots.length > 0) return this.pick();
    const entries = this.entries;
    return entries.length === 0 ? undefined : entries[turn % entries.length];
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
