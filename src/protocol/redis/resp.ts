// RESP framing helpers shared by the request and reply parsers.

export const CR = 13;
export const LF = 10;

/** Returned by readLength when the line is not complete yet. */
export const INCOMPLETE = -1;
/** Returned by readLength when the line is not a valid number. */
export const INVALID = -2;

/** The longest number line accepted ("-" and 19 digits), so garbage without CRLF is refused early. */
const MAX_NUMBER_LINE = 21;

/**
 * Reads the signed decimal that starts at `pos` and ends with CRLF, as Redis reads one: no "+", no
 * leading zeros, no "-0".
 * Stores the value in `out.value` and returns the position after the CRLF,
 * or INCOMPLETE / INVALID.
 */
export function readNumberLine(buf: Buffer, pos: number, out: { value: number }): number {
  const end = buf.length;
  let negative = false;
  let i = pos;
  if (i < end && buf[i] === 45 /* - */) {
    negative = true;
    i++;
  }
  const digitsStart = i;
  let value = 0;
  while (i < end) {
    const byte = buf[i]!;
    if (byte === CR) break;
    if (byte < 48 || byte > 57 || i - pos >= MAX_NUMBER_LINE) return INVALID;
    value = value * 10 + (byte - 48);
    i++;
  }
  if (i + 1 >= end) return i - pos >= MAX_NUMBER_LINE ? INVALID : INCOMPLETE;
  if (i === digitsStart || buf[i + 1] !== LF) return INVALID;
  // As Redis: no leading zeros and no "-0", so a length's digits always take the same bytes as its value.
  if (buf[digitsStart] === 48 /* 0 */ && (i - digitsStart > 1 || negative)) return INVALID;
  out.value = negative ? -value : value;
  return i + 2;
}

/** "$<n>\r\n<bytes>\r\n" for a string. */
export function bulkString(text: string | Buffer): Buffer {
  const body = typeof text === 'string' ? Buffer.from(text) : text;
  return Buffer.concat([Buffer.from(`$${body.length}\r\n`), body, Buffer.from('\r\n')]);
}

export function errorReply(message: string): Buffer {
  return Buffer.from(`-${message.replace(/[\r\n]+/g, ' ')}\r\n`);
}

export function integerReply(value: number): Buffer {
  return Buffer.from(`:${value}\r\n`);
}

export const OK_REPLY = Buffer.from('+OK\r\n');
export const PONG_REPLY = Buffer.from('+PONG\r\n');
export const NIL_REPLY = Buffer.from('$-1\r\n');

/** Encodes a command as a RESP array of bulk strings. */
export function encodeCommand(...args: string[]): Buffer {
  let text = `*${args.length}\r\n`;
  for (const arg of args) text += `$${Buffer.byteLength(arg)}\r\n${arg}\r\n`;
  return Buffer.from(text);
}
