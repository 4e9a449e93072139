// What a fuzz or fault run found, counted by kind, with the first examples and the inputs that
// were in flight, so that a failing run can be understood and replayed from its seed.
import { hexPreview, textPreview, type FuzzInput } from './engine.js';

export const FINDING_KINDS = [
  /** The proxy process died or its stats port stopped answering. */
  'crash',
  /** A request without a reply within the bound. */
  'hang',
  /** A connection closed while requests on it were still unanswered. */
  'lost',
  /** A reply that carries another request's token. */
  'misrouted',
  /** A reply that is neither the correct one nor an allowed error. */
  'wrong',
  /** A reply beyond the requests sent. */
  'extra',
  /** Bytes that are not a valid message of the protocol (from the proxy, to a client or a server). */
  'malformed',
] as const;

export type FindingKind = (typeof FINDING_KINDS)[number];

const MAX_EXAMPLES = 8;
const MAX_SUSPECTS = 6;

/** A fuzz input recently sent, kept so that a finding can show what may have caused it. */
export interface Suspect {
  readonly label: string;
  readonly input: FuzzInput;
}

export class Findings {
  readonly counts: Record<FindingKind, number> = Object.fromEntries(FINDING_KINDS.map((kind) => [kind, 0])) as Record<FindingKind, number>;
  private readonly examples: string[] = [];
  private readonly recent: Suspect[] = [];
  /** For the first finding of each kind: its cause, or the inputs sent just before it. */
  private readonly suspects = new Map<FindingKind, Suspect[]>();
  /** Requests checked, cases sent: to show that the run did something. */
  checked = 0;
  cases = 0;
  allowedErrors = 0;

  /**
   * Counts `count` findings of one event; `cause` is the input that made it, when known (otherwise
   * the inputs sent just before are the suspects).
   */
  record(kind: FindingKind, detail: string, cause?: Suspect, count = 1): void {
    const first = this.counts[kind] === 0;
    this.counts[kind] += count;
    if (first) this.suspects.set(kind, cause !== undefined ? [cause] : [...this.recent]);
    // The first of each kind is always shown.
    if (first || this.examples.length < MAX_EXAMPLES) this.examples.push(`${kind}: ${detail}`);
  }

  /** Remembers an input just sent (the last few are shown with the first finding). */
  sent(suspect: Suspect): void {
    this.recent.push(suspect);
    if (this.recent.length > MAX_SUSPECTS) this.recent.shift();
  }

  get total(): number {
    return FINDING_KINDS.reduce((sum, kind) => sum + this.counts[kind], 0);
  }

  /** Counts, examples and, when something was found, the inputs in flight and how to replay. */
  summary(name: string, seed: number, replay: string): string {
    const counts = FINDING_KINDS.map((kind) => `${kind} ${this.counts[kind]}`).join(', ');
    const lines = [`${name} seed ${seed}: ${this.cases} fuzz cases, ${this.checked} honest replies checked, ` +
      `${this.allowedErrors} allowed errors; findings: ${counts}`];
    if (this.total === 0) return lines[0]!;
    lines.push('first findings:', ...this.examples.map((example) => `  ${example}`));
    for (const [kind, suspects] of this.suspects) {
      if (suspects.length === 0) continue;
      lines.push(`first '${kind}': ${suspects.length === 1 ? 'its input' : 'the inputs sent just before it'}:`);
      for (const suspect of suspects) {
        lines.push(`  ${suspect.label}: ${suspect.input.recipe}`, `    hex:  ${hexPreview(suspect.input.bytes)}`,
          `    text: ${textPreview(suspect.input.bytes)}`);
      }
    }
    lines.push(`replay: ${replay}`);
    return lines.join('\n');
  }
}
