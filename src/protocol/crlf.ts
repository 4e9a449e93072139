// The line end both text protocols use, checked on a stream whose earlier bytes may be gone.

const CR = 13;
const LF = 10;

/**
 * True when the bytes of buf[from, end) that end a data block (a RESP bulk string, a memcached
 * value) are its CRLF. The block may have begun before `from`, in bytes no longer held: only the
 * ones present are checked.
 */
export function endsWithCrlf(buf: Buffer, from: number, end: number): boolean {
  if (end - 1 >= from && buf[end - 1] !== LF) return false;
  return end - 2 < from || buf[end - 2] === CR;
}
