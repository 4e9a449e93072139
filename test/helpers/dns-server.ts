// A small authoritative DNS server for the tests, over UDP and TCP on one 127.0.0.1 ephemeral
// port, whose answers the test sets per name at run time: a fixed set, one address per query
// (round robin or at random), a TTL, an error code, or no reply at all. Unknown names: NXDOMAIN.
import { createSocket, type Socket } from 'node:dgram';
import { createServer, type Server, type Socket as TcpSocket } from 'node:net';
import { isIP } from 'node:net';
import * as dnsPacket from 'dns-packet';

/** How many of a name's addresses one answer carries. */
export type AnswerPick = 'all' | 'round-robin' | 'random';

export type DnsRule =
  | { kind: 'answer'; ips: string[]; pick: AnswerPick; ttl: number }
  | { kind: 'rcode'; rcode: 'SERVFAIL' | 'NXDOMAIN' | 'REFUSED' }
  /** The query is dropped: the client times out. */
  | { kind: 'silent' };

const RCODES = { NOERROR: 0, SERVFAIL: 2, NXDOMAIN: 3, REFUSED: 5 } as const;
const BIND_ATTEMPTS = 5;

export class DnsServer {
  private readonly rules = new Map<string, DnsRule>();
  private readonly turns = new Map<string, number>();
  private readonly counts = new Map<string, number>();
  private readonly tcpClients = new Set<TcpSocket>();

  private constructor(private readonly udp: Socket, private readonly tcp: Server, readonly host: string, readonly port: number) {
    udp.on('message', (message, peer) => {
      const reply = this.reply(message);
      // A client gone before its reply is not the test's concern.
      if (reply !== undefined) udp.send(reply, peer.port, peer.address, () => undefined);
    });
    tcp.on('connection', (socket) => this.serveTcp(socket));
  }

  /** Starts on `host` and a port free for both UDP and TCP. */
  static async start(host = '127.0.0.1'): Promise<DnsServer> {
    for (let attempt = 1; ; attempt++) {
      const udp = createSocket('udp4');
      await new Promise<void>((resolve, reject) => udp.once('error', reject).bind(0, host, () => resolve()));
      const port = udp.address().port;
      const tcp = createServer();
      try {
        await new Promise<void>((resolve, reject) => tcp.once('error', reject).listen(port, host, () => resolve()));
        return new DnsServer(udp, tcp, host, port);
      } catch (err) {
        udp.close();
        if (attempt === BIND_ATTEMPTS) throw err;
      }
    }
  }

  /** `ip:port`, as `dns_servers` takes it. */
  get address(): string {
    return `${this.host}:${this.port}`;
  }

  /** From now on `name` answers its A and AAAA queries from `ips` (all of them, or one per query). */
  answer(name: string, ips: string[], options: { pick?: AnswerPick; ttl?: number } = {}): void {
    this.set(name, { kind: 'answer', ips, pick: options.pick ?? 'all', ttl: options.ttl ?? 60 });
  }

  /** From now on `name` answers with this error code (only its `type` queries, when given). */
  fail(name: string, rcode: 'SERVFAIL' | 'NXDOMAIN' | 'REFUSED', options: { type?: 'A' | 'AAAA' } = {}): void {
    this.set(ruleKey(name, options.type), { kind: 'rcode', rcode });
  }

  /** From now on queries for `name` (only its `type` queries, when given) get no reply. */
  silence(name: string, options: { type?: 'A' | 'AAAA' } = {}): void {
    this.set(ruleKey(name, options.type), { kind: 'silent' });
  }

  /** The rule for `name`, or for its queries of one type with `name/A`, `name/AAAA`. */
  set(name: string, rule: DnsRule): void {
    this.rules.set(name.toLowerCase(), rule);
  }

  /** Queries received for `name` (A and AAAA each count). */
  queries(name: string): number {
    return this.counts.get(name.toLowerCase()) ?? 0;
  }

  async stop(): Promise<void> {
    for (const socket of this.tcpClients) socket.destroy();
    await Promise.all([
      new Promise<void>((resolve) => this.udp.close(() => resolve())),
      new Promise<void>((resolve) => this.tcp.close(() => resolve())),
    ]);
  }

  /** The encoded reply to one query, or undefined to stay silent. */
  private reply(message: Buffer): Buffer | undefined {
    let query: dnsPacket.DecodedPacket;
    try {
      query = dnsPacket.decode(message);
    } catch {
      return undefined;
    }
    const question = query.questions?.[0];
    if (question === undefined) return undefined;
    const name = question.name.toLowerCase();
    this.counts.set(name, this.queries(name) + 1);
    const rule = this.rules.get(ruleKey(name, question.type).toLowerCase()) ?? this.rules.get(name) ?? { kind: 'rcode', rcode: 'NXDOMAIN' };
    if (rule.kind === 'silent') return undefined;
    const rcode = rule.kind === 'rcode' ? RCODES[rule.rcode] : RCODES.NOERROR;
    const answers = rule.kind === 'answer' ? this.records(name, question, rule) : [];
    return dnsPacket.encode({
      type: 'response',
      id: query.id,
      flags: dnsPacket.AUTHORITATIVE_ANSWER | ((query.flags ?? 0) & dnsPacket.RECURSION_DESIRED) | rcode,
      questions: [question],
      answers,
    });
  }

  private records(name: string, question: dnsPacket.Question, rule: Extract<DnsRule, { kind: 'answer' }>): dnsPacket.Answer[] {
    const family = question.type === 'A' ? 4 : question.type === 'AAAA' ? 6 : 0;
    const ips = rule.ips.filter((ip) => isIP(ip) === family);
    const picked = ips.length === 0 || rule.pick === 'all' ? ips : [ips[this.pickIndex(`${name}/${family}`, rule.pick, ips.length)]!];
    return picked.map((ip) => ({ type: question.type as 'A' | 'AAAA', name: question.name, ttl: rule.ttl, data: ip }));
  }

  private pickIndex(key: string, pick: 'round-robin' | 'random', count: number): number {
    if (pick === 'random') return Math.floor(Math.random() * count);
    const turn = this.turns.get(key) ?? 0;
    this.turns.set(key, turn + 1);
    return turn % count;
  }

  /** DNS over TCP: each message is preceded by its 2-byte length. */
  private serveTcp(socket: TcpSocket): void {
    this.tcpClients.add(socket);
    socket.on('close', () => this.tcpClients.delete(socket));
    socket.on('error', () => socket.destroy());
    let pending = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 2 && pending.length >= 2 + pending.readUInt16BE(0)) {
        const length = pending.readUInt16BE(0);
        const reply = this.reply(pending.subarray(2, 2 + length));
        pending = pending.subarray(2 + length);
        if (reply !== undefined) socket.write(Buffer.concat([lengthPrefix(reply.length), reply]));
      }
    });
  }
}

function ruleKey(name: string, type: string | undefined): string {
  return type === undefined ? name : `${name}/${type}`;
}

function lengthPrefix(length: number): Buffer {
  const prefix = Buffer.alloc(2);
  prefix.writeUInt16BE(length);
  return prefix;
}
