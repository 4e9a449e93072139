// An honest client: sends pipelined batches of requests whose keys and values carry unique
// tokens, and checks every reply against its expectation, in order, with nothing missing and
// nothing extra. What it finds goes to Findings; it reconnects after a hang or a lost connection.
import { connect, type Socket } from 'node:net';
import { sleep } from '../helpers/ports.js';
import { splitForWrites, textPreview } from './engine.js';
import type { Findings } from './findings.js';
import type { Prng } from './prng.js';
import { INCOMPLETE, INVALID, type Expected, type FuzzProtocol, type StrictReader, type Workload } from './protocol.js';

const TOKEN = /tk\d+x\d+/g;

export interface HonestClientOptions {
  readonly port: number;
  readonly protocol: FuzzProtocol;
  readonly workload: Workload;
  readonly findings: Findings;
  readonly rng: Prng;
  /** Tokens are tk<index>x<n>: unique among the clients of one run. */
  readonly index: number;
  /** True where the servers misbehave: an error reply is then a right answer too. */
  readonly errorsAllowed: boolean;
  /** A request without its reply after this long is a hang. */
  readonly replyTimeoutMs: number;
}

export class HonestClient {
  private socket: Socket | null = null;
  private reader: StrictReader;
  private received: Buffer[] = [];
  private receivedBytes = 0;
  private pending: Expected[] = [];
  private wake: (() => void) | null = null;
  private closed = false;
  /** Set when this client hung up on a malformed reply (already recorded). */
  private abandoned = false;
  private sequence = 0;

  constructor(private readonly options: HonestClientOptions) {
    this.reader = options.protocol.replyReader();
  }

  /** Runs batches until `stop()` is true or `batches` were sent. */
  async run(stop: () => boolean, batches = Infinity): Promise<void> {
    try {
      for (let i = 0; i < batches && !stop(); i++) await this.runBatch();
      // A short grace: a reply beyond those asked for shows up as extra.
      await sleep(50);
    } catch (err) {
      this.options.findings.record('lost', `client ${this.options.index}: could not connect to the proxy: ${(err as Error).message}`);
    } finally {
      this.socket?.destroy();
    }
  }

  private async runBatch(): Promise<void> {
    if (this.socket === null || this.closed) await this.connect();
    const { rng, index } = this.options;
    const batch = this.options.workload.batch(rng, () => `tk${index}x${this.sequence++}`);
    this.pending.push(...batch.expected);
    for (const chunk of splitForWrites(batch.bytes, rng)) this.socket!.write(chunk);
    if (batch.readPauseMs !== undefined) this.pauseReading(batch.readPauseMs);
    const answered = await this.waitReplies(this.options.replyTimeoutMs);
    if (answered) return;
    if (this.abandoned) {
      this.pending = [];
      return;
    }
    const kind = this.closed ? 'lost' : 'hang';
    const first = this.pending[0]!;
    this.options.findings.record(kind, `client ${index}: ${this.pending.length} of ${batch.expected.length} requests ` +
      `${kind === 'lost' ? 'unanswered when the proxy closed the connection' : `without a reply after ${this.options.replyTimeoutMs} ms`}; ` +
      `first: ${first.request}`, undefined, this.pending.length);
    this.pending = [];
    this.socket!.destroy();
    this.socket = null;
  }

  /** Waits until every pending request is answered (true), or the connection closed or the time is up (false). */
  private waitReplies(timeoutMs: number): Promise<boolean> {
    return new Promise((resolve) => {
      const done = (): void => {
        if (this.pending.length > 0 && !this.closed) return;
        clearTimeout(timer);
        this.wake = null;
        resolve(this.pending.length === 0);
      };
      const timer = setTimeout(() => {
        this.wake = null;
        resolve(this.pending.length === 0);
      }, timeoutMs);
      this.wake = done;
      done();
    });
  }

  private pauseReading(ms: number): void {
    const socket = this.socket!;
    socket.pause();
    setTimeout(() => socket.resume(), ms);
  }

  private connect(): Promise<void> {
    this.closed = false;
    this.abandoned = false;
    this.received = [];
    this.receivedBytes = 0;
    this.reader = this.options.protocol.replyReader();
    return new Promise((resolve, reject) => {
      const socket = connect({ port: this.options.port, host: '127.0.0.1' }, () => {
        socket.off('error', reject);
        socket.on('error', () => undefined);
        resolve();
      });
      socket.once('error', reject);
      socket.on('data', (chunk: Buffer) => this.onData(chunk));
      socket.on('close', () => {
        if (this.socket !== socket) return;
        this.closed = true;
        this.wake?.();
      });
      this.socket = socket;
    });
  }

  private onData(chunk: Buffer): void {
    this.received.push(chunk);
    this.receivedBytes += chunk.length;
    if (this.receivedBytes < this.reader.need) return;
    const buf = this.received.length === 1 ? this.received[0]! : Buffer.concat(this.received, this.receivedBytes);
    let pos = 0;
    for (;;) {
      const end = pos < buf.length ? this.reader.end(buf, pos) : INCOMPLETE;
      if (end === INCOMPLETE) break;
      if (end === INVALID) {
        this.options.findings.record('malformed', `client ${this.options.index}: the proxy sent bytes that are not a valid reply ` +
          `(expecting the reply to ${this.pending[0]?.request ?? 'nothing'}): ${textPreview(buf.subarray(pos))}`);
        this.socket?.destroy();
        this.closed = true;
        this.abandoned = true;
        break;
      }
      this.check(buf.subarray(pos, end));
      pos = end;
    }
    const rest = buf.subarray(pos);
    this.received = rest.length > 0 ? [rest] : [];
    this.receivedBytes = rest.length;
    if (rest.length === 0) this.reader.need = 0;
    this.wake?.();
  }

  private check(reply: Buffer): void {
    const { findings, protocol, index } = this.options;
    const expected = this.pending.shift();
    if (expected === undefined) {
      findings.record('extra', `client ${index}: a reply nobody asked for: ${textPreview(reply)}`);
      return;
    }
    findings.checked++;
    if (reply.equals(expected.reply)) {
      expected.correct = true;
      return;
    }
    const dependencyFailed = expected.dependsOn === undefined || expected.dependsOn.some((write) => write.correct !== true);
    if (expected.fallback !== undefined && dependencyFailed && expected.fallback(reply)) return;
    if (this.options.errorsAllowed && protocol.isError(reply)) {
      findings.allowedErrors++;
      return;
    }
    const others = [...reply.toString('latin1').matchAll(TOKEN)].map((match) => match[0]).filter((token) => token !== expected.token);
    const kind = others.length > 0 ? 'misrouted' : 'wrong';
    findings.record(kind, `client ${index}: ${expected.request} got ${textPreview(reply, 100)}` +
      `${others.length > 0 ? ` (the reply of ${others[0]})` : ''}, expected ${textPreview(expected.reply, 100)}`);
  }
}
