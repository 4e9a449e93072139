// Reply fuzzing: fake servers answer honest requests correctly but, on seeded connections, send a
// damaged reply (then carry on, hang up, or go silent). Every client request must still get
// exactly one reply (an error is fine), never another request's, and the proxy must stay up.
import { FakeServer, type ConnectionPlan, type ReplyAction } from '../helpers/fake-server.js';
import { mutateMessages, textPreview } from './engine.js';
import { Findings } from './findings.js';
import { HonestClient } from './honest-client.js';
import { Prng } from './prng.js';
import { INCOMPLETE, INVALID, type FuzzProtocol, type Workload } from './protocol.js';
import { Watchdog, type Target } from './target.js';

export interface ReplyFuzzOptions {
  readonly seed: number;
  readonly durationMs: number;
  /** Batches per honest client, at most. */
  readonly batches: number;
  readonly honestClients: number;
  readonly workload: Workload;
  readonly servers: number;
  /** Share of server connections that damage one of their replies. */
  readonly evilConnections: number;
  /** Replies after which a server connection hangs up (seeded in this range), so connections keep being replaced. */
  readonly connectionReplies: readonly [number, number];
  /** True when the proxy has a `timeout`, so that a server may also go silent. */
  readonly proxyTimesOut: boolean;
  readonly replyTimeoutMs: number;
}

export interface ProxyUnderTest extends Target {
  destroy(): Promise<void>;
}

const HONEST_STREAM = 0x80000000;
const PLAN_STREAM = 0x40000000;
const MUTATION_TRIES = 20;

export async function fuzzReplies(
  protocol: FuzzProtocol,
  startProxy: (servers: string[]) => Promise<ProxyUnderTest>,
  options: ReplyFuzzOptions,
): Promise<Findings> {
  const findings = new Findings();
  const servers: FakeServer[] = [];
  let proxy: ProxyUnderTest | null = null;
  try {
    for (let s = 0; s < options.servers; s++) {
      servers.push(await FakeServer.start({
        framing: () => protocol.requestReader(),
        answer: (request) => protocol.fakeAnswer(request),
        plan: (connection) => planFor(protocol, options, findings, s, connection),
        onInvalidRequest: (bytes) => findings.record('malformed', `fake server ${s} got bytes from the proxy that are not a valid request: ${textPreview(bytes)}`),
      }));
    }
    proxy = await startProxy(servers.map((server) => server.address));
    const watchdog = new Watchdog(proxy, findings);
    const deadline = Date.now() + options.durationMs;
    const stop = (): boolean => Date.now() >= deadline || watchdog.crashed;
    await Promise.all(Array.from({ length: options.honestClients }, (_, index) => new HonestClient({
      port: proxy!.port, protocol, workload: options.workload, findings, index, errorsAllowed: true,
      rng: new Prng(options.seed, HONEST_STREAM + index), replyTimeoutMs: options.replyTimeoutMs,
    }).run(stop, options.batches)));
    await watchdog.stop();
    return findings;
  } finally {
    await proxy?.destroy();
    for (const server of servers) await server.close();
  }
}

/**
 * Server `s`'s connection `connection`: answers a seeded number of requests, then hangs up
 * cleanly; an evil one damages one reply (at a seeded place) before that.
 */
function planFor(protocol: FuzzProtocol, options: ReplyFuzzOptions, findings: Findings, s: number, connection: number): ConnectionPlan {
  const rng = new Prng(options.seed, PLAN_STREAM + s * 0x10000 + connection);
  const lifetime = rng.between(...options.connectionReplies);
  const damageAt = rng.chance(options.evilConnections) ? rng.int(lifetime) : -1;
  return (correct, replyIndex) => {
    if (replyIndex === damageAt) return damage(protocol, correct, rng, options, findings, `server ${s} connection ${connection} reply ${replyIndex}`);
    return replyIndex + 1 >= lifetime ? { bytes: correct, then: 'close' } : null;
  };
}

/** A damaged copy of `correct` that a strict reader refuses or finds cut short. */
function damage(protocol: FuzzProtocol, correct: Buffer, rng: Prng, options: ReplyFuzzOptions, findings: Findings, label: string): ReplyAction | null {
  // A request that gets no reply (memcached's noreply) has none to damage.
  if (correct.length === 0) return null;
  const reader = protocol.replyReader();
  for (let i = 0; i < MUTATION_TRIES; i++) {
    const input = mutateMessages([correct], protocol.replyMutators, rng);
    // Only damage a strict reader must see: a still-valid reply would rightly reach the client.
    const status = input.bytes.length === 0 ? INCOMPLETE : reader.end(input.bytes, 0);
    if (status !== INVALID && status !== INCOMPLETE) continue;
    findings.sent({ label: `${label}: in place of ${textPreview(correct, 60)}`, input });
    findings.cases++;
    if (status === INVALID) return { bytes: input.bytes, then: 'continue' };
    return { bytes: input.bytes, then: options.proxyTimesOut && rng.chance(0.5) ? 'silence' : 'close' };
  }
  return null;
}
