// The addresses of one logical server and the rules by which DNS answers change them (SPEC
// section 3). Pure: time comes from the injected clock, health from the caller.
import type { Clock } from '../util/clock.js';
import type { IpFamily, ResolvedIp } from './resolver.js';

/** One resolved address of a logical server. The same object while it stays in the set. */
export interface Address {
  readonly ip: string;
  readonly port: number;
  readonly family: IpFamily;
  /** The host name as configured: for TLS (SNI, certificate check) and the logs. */
  readonly host: string;
}

/** What one answer did: the addresses that joined, those that left (to be drained), and the set now. */
export interface AddressChange {
  readonly joined: readonly Address[];
  readonly left: readonly Address[];
  readonly addresses: readonly Address[];
}

export interface AddressSetRules {
  /** Keep the union of recent answers (reader endpoints) instead of taking each answer as the set. */
  keepUnion: boolean;
  /** With keepUnion: how long an address stays after the last answer that contained it. */
  expirationMs: number;
}

interface Member {
  address: Address;
  lastSeen: number;
}

export class AddressSet {
  private members: Member[] = [];
  private snapshot: readonly Address[] = [];

  constructor(readonly host: string, readonly port: number, private readonly rules: AddressSetRules, private readonly clock: Clock) {}

  /** In the order they joined; a new array after each change, the same one otherwise. */
  get addresses(): readonly Address[] {
    return this.snapshot;
  }

  /**
   * Applies a lookup's (non-empty) answer. Union: every answered address is seen now, and one
   * missing from the answer leaves once it has not been seen for expirationMs, or at once when
   * `isHealthy` says it is down. Otherwise the answer is the whole set.
   */
  apply(answer: readonly ResolvedIp[], isHealthy: (address: Address) => boolean): AddressChange {
    const now = this.clock.now();
    const answered = new Set(answer.map((resolved) => resolved.ip));
    const stays = (member: Member): boolean =>
      answered.has(member.address.ip) || (this.rules.keepUnion && isHealthy(member.address) && now - member.lastSeen < this.rules.expirationMs);
    const kept: Member[] = [];
    const left: Address[] = [];
    for (const member of this.members) {
      if (stays(member)) kept.push(member);
      else left.push(member.address);
    }
    const joined = this.newAddresses(answer, kept);
    for (const member of kept) if (answered.has(member.address.ip)) member.lastSeen = now;
    this.members = [...kept, ...joined.map((address) => ({ address, lastSeen: now }))];
    if (joined.length > 0 || left.length > 0) this.snapshot = this.members.map((member) => member.address);
    return { joined, left, addresses: this.snapshot };
  }

  /** When (clock ms) the last answer that contained `ip` came; undefined when it is not in the set. */
  lastSeen(ip: string): number | undefined {
    return this.members.find((member) => member.address.ip === ip)?.lastSeen;
  }

  private newAddresses(answer: readonly ResolvedIp[], kept: readonly Member[]): Address[] {
    const known = new Set(kept.map((member) => member.address.ip));
    const joined: Address[] = [];
    for (const { ip, family } of answer) {
      if (known.has(ip)) continue;
      known.add(ip);
      joined.push({ ip, port: this.port, family, host: this.host });
    }
    return joined;
  }
}

/** The log line for a change: `resolved 'name' to 3 addresses: ... (joined: ...; left: ...)`. */
export function describeChange(host: string, change: AddressChange): string {
  const count = change.addresses.length;
  const parts = [`resolved '${host}' to ${count} address${count === 1 ? '' : 'es'}: ${listAddresses(change.addresses)}`];
  if (change.joined.length > 0) parts.push(`joined: ${listAddresses(change.joined)}`);
  if (change.left.length > 0) parts.push(`left: ${listAddresses(change.left)}`);
  return parts.length === 1 ? parts[0]! : `${parts[0]} (${parts.slice(1).join('; ')})`;
}

function listAddresses(addresses: readonly Address[]): string {
  return addresses.map((address) => (address.family === 6 ? `[${address.ip}]:${address.port}` : `${address.ip}:${address.port}`)).join(', ');
}
