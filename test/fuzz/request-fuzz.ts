// Request fuzzing: many connections send mutated requests to the proxy while honest clients check
// every reply they get. A fuzzing connection may get errors or be closed; it must only ever get
// valid replies, and the proxy must stay up and keep serving the honest clients exactly.
import { connect } from 'node:net';
import { mutateMessages, splitForWrites, textPreview, type FuzzInput } from './engine.js';
import { Findings, type Suspect } from './findings.js';
import { HonestClient } from './honest-client.js';
import { Prng } from './prng.js';
import { INCOMPLETE, INVALID, type FuzzProtocol, type Workload } from './protocol.js';
import { Watchdog, type Target } from './target.js';

export interface RequestFuzzOptions {
  readonly seed: number;
  /** The most fuzz cases to send (case i is made from the seed and i alone). */
  readonly cases: number;
  readonly durationMs: number;
  /** Fuzzing connections open at once. */
  readonly workers: number;
  readonly honestClients: number;
  readonly honestWorkload: Workload;
  readonly replyTimeoutMs: number;
  /** Replays just this case, again and again for the whole duration (its effect may depend on timing). */
  readonly onlyCase?: number;
}

/** PRNG streams of honest clients, apart from those of the cases. */
const HONEST_STREAM = 0x80000000;
/** How long a fuzzing connection waits for more replies before it hangs up. */
const IDLE_MS = 30;
const CASE_MS = 400;

export async function fuzzRequests(protocol: FuzzProtocol, target: Target, options: RequestFuzzOptions): Promise<Findings> {
  const findings = new Findings();
  const watchdog = new Watchdog(target, findings);
  const deadline = Date.now() + options.durationMs;
  let next = 0;
  let fuzzing = true;
  const stop = (): boolean => !fuzzing || watchdog.crashed;
  const honest = Array.from({ length: options.honestClients }, (_, index) => new HonestClient({
    port: target.port, protocol, workload: options.honestWorkload, findings, index, errorsAllowed: false,
    rng: new Prng(options.seed, HONEST_STREAM + index), replyTimeoutMs: options.replyTimeoutMs,
  }).run(stop));
  const worker = async (): Promise<void> => {
    while ((options.onlyCase !== undefined || next < options.cases) && Date.now() < deadline && !watchdog.crashed) {
      const index = options.onlyCase ?? next++;
      const rng = new Prng(options.seed, index);
      const input = mutateMessages(protocol.requestCorpus, protocol.requestMutators, rng);
      findings.sent({ label: `case ${index}`, input });
      findings.cases++;
      await sendCase(target.port, protocol, input, rng, findings, index);
    }
  };
  await Promise.all(Array.from({ length: options.workers }, worker));
  fuzzing = false;
  await Promise.all(honest);
  await watchdog.stop();
  return findings;
}

/** Sends one mutated input in seeded pieces, ends in a seeded way, and checks what came back. */
function sendCase(port: number, protocol: FuzzProtocol, input: FuzzInput, rng: Prng, findings: Findings, index: number): Promise<void> {
  const chunks = splitForWrites(input.bytes, rng);
  const ending = rng.pick(['half-close', 'linger', 'reset'] as const);
  return new Promise((resolve) => {
    const received: Buffer[] = [];
    let reset = false;
    let idle: NodeJS.Timeout | undefined;
    const socket = connect({ port, host: '127.0.0.1' });
    const cap = setTimeout(() => socket.destroy(), CASE_MS);
    const restartIdle = (): void => {
      clearTimeout(idle);
      idle = setTimeout(() => socket.destroy(), IDLE_MS);
    };
    socket.on('error', () => (reset = true));
    socket.on('data', (chunk: Buffer) => {
      received.push(chunk);
      restartIdle();
    });
    socket.on('close', () => {
      clearTimeout(cap);
      clearTimeout(idle);
      checkReplies(protocol, Buffer.concat(received), findings, { label: `case ${index}`, input });
      resolve();
    });
    socket.on('connect', async () => {
      for (const chunk of chunks) {
        if (socket.destroyed) return;
        socket.write(chunk);
        await new Promise((resolve) => setImmediate(resolve));
      }
      if (ending === 'reset' || reset) socket.destroy();
      else if (ending === 'half-close') socket.end();
      restartIdle();
    });
  });
}

/** A fuzzing connection gets nothing but complete, valid replies (the last one may be cut by our own hang-up). */
function checkReplies(protocol: FuzzProtocol, bytes: Buffer, findings: Findings, fuzzCase: Suspect): void {
  const reader = protocol.replyReader();
  for (let pos = 0; pos < bytes.length;) {
    const end = reader.end(bytes, pos);
    if (end === INCOMPLETE) return;
    if (end === INVALID) {
      findings.record('malformed', `${fuzzCase.label}: the proxy answered with bytes that are not a valid reply: ${textPreview(bytes.subarray(pos))}`, fuzzCase);
      return;
    }
    pos = end;
  }
}
