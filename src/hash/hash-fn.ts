// The shape shared by every key hash function.

/** Hashes bytes buf[start, end) to an unsigned 32-bit number, exactly as twemproxy does. */
export type HashFn = (buf: Buffer, start: number, end: number) => number;

/**
 * A key byte as twemproxy's x86/x86-64 builds see it through a (signed) `char`: bytes 0x80-0xff
 * become negative and are sign-extended when widened. Several of its hash functions depend on this.
 */
export function signedChar(byte: number): number {
  return (byte << 24) >> 24;
}
