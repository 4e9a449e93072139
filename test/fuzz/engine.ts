// The protocol-neutral part of the fuzzer: a protocol brings a corpus of valid messages, its own
// mutators and its oracle; the engine builds seeded mutated inputs from them and prints them.
import { GENERIC_MUTATORS, type Mutator } from './mutators.js';
import type { Prng } from './prng.js';

/** A mutated input and how it was made. */
export interface FuzzInput {
  readonly bytes: Buffer;
  readonly recipe: string;
}

/** Takes 1-3 corpus messages in a row and applies 1-3 mutations, protocol ones as often as generic ones. */
export function mutateMessages(corpus: readonly Buffer[], protocolMutators: readonly Mutator[], rng: Prng): FuzzInput {
  const picked: number[] = [];
  for (let i = rng.between(1, 3); i > 0; i--) picked.push(rng.int(corpus.length));
  let bytes: Buffer = Buffer.concat(picked.map((index) => corpus[index]!));
  const steps: string[] = [];
  for (let i = rng.between(1, 3); i > 0; i--) {
    const mutator = protocolMutators.length > 0 && rng.chance(0.5) ? rng.pick(protocolMutators) : rng.pick(GENERIC_MUTATORS);
    bytes = mutator.apply(bytes, rng);
    steps.push(mutator.name);
  }
  return { bytes, recipe: `corpus[${picked.join(',')}] ${steps.join(' > ')}` };
}

/** Splits bytes into 1-4 writes at seeded places, so that parsers also see them cut anywhere. */
export function splitForWrites(bytes: Buffer, rng: Prng): Buffer[] {
  const cuts = new Set<number>();
  for (let i = rng.int(4); i > 0; i--) cuts.add(rng.int(bytes.length + 1));
  const sorted = [0, ...[...cuts].sort((a, b) => a - b), bytes.length];
  const chunks: Buffer[] = [];
  for (let i = 1; i < sorted.length; i++) if (sorted[i]! > sorted[i - 1]!) chunks.push(bytes.subarray(sorted[i - 1], sorted[i]));
  return chunks.length > 0 ? chunks : [bytes];
}

/** Hex of the first `max` bytes, then how many were left out. */
export function hexPreview(bytes: Buffer, max = 160): string {
  const hex = bytes.subarray(0, max).toString('hex').replace(/(..)/g, '$1 ').trim();
  return bytes.length > max ? `${hex} ... (${bytes.length} bytes)` : `${hex} (${bytes.length} bytes)`;
}

/** The same bytes as readable text: printable ASCII as is, the rest escaped. */
export function textPreview(bytes: Buffer, max = 160): string {
  let text = '';
  for (const byte of bytes.subarray(0, max)) {
    if (byte === 0x0d) text += '\\r';
    else if (byte === 0x0a) text += '\\n';
    else if (byte >= 0x20 && byte < 0x7f && byte !== 0x5c) text += String.fromCharCode(byte);
    else text += `\\x${byte.toString(16).padStart(2, '0')}`;
  }
  return bytes.length > max ? `${text}...` : text;
}
