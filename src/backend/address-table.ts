// Which address of a logical server a request goes to: a table rebuilt when the set of addresses
// or their health changes, so that the choice per request is one modulo, never a search.
//
// The address is chosen per client (client id modulo the healthy addresses): a client's requests
// to one server then all reach one address, in the order it sent them, while clients spread
// evenly over the addresses. When no address is healthy, every address is in the table, so
// requests still reach one and fail there (and twemproxy's ejection can count the failures).

export interface Routable {
  readonly healthy: boolean;
}

export class AddressTable<A extends Routable> {
  private entries: readonly A[] = [];

  /** Takes the current addresses (the array may be kept: the caller gives a new one on each change). */
  rebuild(addresses: readonly A[]): void {
    const healthy = addresses.filter((address) => address.healthy);
    this.entries = healthy.length > 0 ? healthy : addresses;
  }

  /** The addresses requests may go to now. */
  get routed(): readonly A[] {
    return this.entries;
  }

  /** The address for a client, or undefined when the server has no address (not resolved yet). */
  pick(clientId: number): A | undefined {
    const entries = this.entries;
    return entries.length === 0 ? undefined : entries[clientId % entries.length];
  }

  /**
   * The connection slot for a client on the address `pick` gave: the clients of one address
   * spread over its connections (client id modulo the address count would use only one of them).
   */
  slot(clientId: number): number {
    return Math.floor(clientId / (this.entries.length || 1));
  }
}
