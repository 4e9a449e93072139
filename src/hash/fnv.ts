// The FNV family as twemproxy implements it. Every variant returns 32 bits, and every variant
// widens key bytes as signed chars (bytes >= 0x80 are sign-extended before the xor).
import { signedChar } from './hash-fn.js';

const FNV32_OFFSET_BASIS = 0x811c9dc5;
const FNV32_PRIME = 0x01000193;
// twemproxy keeps only the low 32 bits of the 64-bit FNV result. The low 32 bits of a product
// depend only on the low 32 bits of its factors, so 32-bit arithmetic with the low halves of the
// 64-bit constants (0xcbf29ce4_84222325 and 0x100_000001b3) gives the same result.
const FNV64_OFFSET_BASIS_LOW = 0x84222325;
const FNV64_PRIME_LOW = 0x000001b3;

function fnv1(basis: number, prime: number, buf: Buffer, start: number, end: number): number {
  let hash = basis | 0;
  for (let i = start; i < end; i++) {
    hash = Math.imul(hash, prime);
    hash ^= signedChar(buf[i]);
  }
  return hash >>> 0;
}

function fnv1a(basis: number, prime: number, buf: Buffer, start: number, end: number): number {
  let hash = basis | 0;
  for (let i = start; i < end; i++) {
    hash ^= signedChar(buf[i]);
    hash = Math.imul(hash, prime);
  }
  return hash >>> 0;
}

export function fnv1_64(buf: Buffer, start: number, end: number): number {
  return fnv1(FNV64_OFFSET_BASIS_LOW, FNV64_PRIME_LOW, buf, start, end);
}

export function fnv1a_64(buf: Buffer, start: number, end: number): number {
  return fnv1a(FNV64_OFFSET_BASIS_LOW, FNV64_PRIME_LOW, buf, start, end);
}

export function fnv1_32(buf: Buffer, start: number, end: number): number {
  return fnv1(FNV32_OFFSET_BASIS, FNV32_PRIME, buf, start, end);
}

export function fnv1a_32(buf: Buffer, start: number, end: number): number {
  return fnv1a(FNV32_OFFSET_BASIS, FNV32_PRIME, buf, start, end);
}
