// Byte-level mutations that know nothing of the protocol: each takes a valid message and returns
// a damaged copy. Protocol modules add their own (lengths, nesting) beside these; breakTerminator
// is for the line-based ones.
import type { Prng } from './prng.js';

export interface Mutator {
  /** Shown in findings, so that a failing input says how it was made. */
  readonly name: string;
  apply(input: Buffer, rng: Prng): Buffer;
}

/** Bytes that parsers treat specially in most text protocols. */
const INTERESTING_BYTES = [0x00, 0x0d, 0x0a, 0xff, 0x20, 0x2d /* - */, 0x30 /* 0 */, 0x39 /* 9 */, 0x7f, 0x80];

const position = (input: Buffer, rng: Prng): number => rng.int(input.length + 1);

function insert(input: Buffer, at: number, bytes: Buffer): Buffer {
  return Buffer.concat([input.subarray(0, at), bytes, input.subarray(at)]);
}

export const flipBit: Mutator = {
  name: 'flip-bit',
  apply(input, rng) {
    if (input.length === 0) return input;
    const out = Buffer.from(input);
    out[rng.int(out.length)] ^= 1 << rng.int(8);
    return out;
  },
};

export const setInterestingByte: Mutator = {
  name: 'interesting-byte',
  apply(input, rng) {
    if (input.length === 0) return input;
    const out = Buffer.from(input);
    out[rng.int(out.length)] = rng.pick(INTERESTING_BYTES);
    return out;
  },
};

export const truncate: Mutator = {
  name: 'truncate',
  apply: (input, rng) => input.subarray(0, rng.int(Math.max(1, input.length))),
};

export const duplicateChunk: Mutator = {
  name: 'duplicate-chunk',
  apply(input, rng) {
    const start = rng.int(input.length + 1);
    const end = start + rng.int(input.length - start + 1);
    return insert(input, rng.between(start, input.length), input.subarray(start, end));
  },
};

export const deleteChunk: Mutator = {
  name: 'delete-chunk',
  apply(input, rng) {
    const start = rng.int(input.length + 1);
    const end = start + rng.int(Math.min(16, input.length - start) + 1);
    return Buffer.concat([input.subarray(0, start), input.subarray(end)]);
  },
};

export const insertNul: Mutator = {
  name: 'insert-nul',
  apply: (input, rng) => insert(input, position(input, rng), Buffer.alloc(rng.between(1, 8))),
};

export const insertRandomBytes: Mutator = {
  name: 'insert-random',
  apply: (input, rng) => insert(input, position(input, rng), rng.bytes(rng.between(1, 32))),
};

/** For line-based protocols: a CR or LF replaced (a bare CR or LF, a line that does not end). */
export const breakTerminator: Mutator = {
  name: 'break-crlf',
  apply(input, rng) {
    const positions: number[] = [];
    for (let i = 0; i < input.length; i++) if (input[i] === 0x0d || input[i] === 0x0a) positions.push(i);
    if (positions.length === 0) return input;
    const out = Buffer.from(input);
    out[rng.pick(positions)] = rng.pick([0x00, 0x20, 0x41, 0x0d, 0x0a]);
    return out;
  },
};

export const GENERIC_MUTATORS: readonly Mutator[] = [
  flipBit, setInterestingByte, truncate, duplicateChunk, deleteChunk, insertNul, insertRandomBytes,
];
