// Bytes a client sent, made fit for a log line or an error reply: printable ASCII, and short.
// Raw, a newline in them would forge a log line (or end an error reply early), and a 60 MB
// argument would make a 60 MB line.

/** How many of a client's bytes a log line or an error reply quotes; the rest is only counted. */
export const CLIENT_TEXT_MAX_BYTES = 64;

const HEX = '0123456789abcdef';
const NAMED_ESCAPES: Record<number, string> = { 9: '\\t', 10: '\\n', 13: '\\r', 39: "\\'", 92: '\\\\' };

/**
 * buf[start, end) with every byte outside printable ASCII written as \xNN (\n, \r, \t, \' and \\
 * by name), cut after `max` bytes with the full length said: `AAAA... (62914560 bytes)`.
 * Only the bytes it quotes are read, so a huge argument costs no more than a short one.
 */
export function clientText(buf: Buffer, start = 0, end = buf.length, max = CLIENT_TEXT_MAX_BYTES): string {
  const shown = Math.min(end, start + max);
  let text = '';
  for (let i = start; i < shown; i++) {
    const byte = buf[i]!;
    const named = NAMED_ESCAPES[byte];
    if (named !== undefined) text += named;
    else if (byte >= 0x20 && byte < 0x7f) text += String.fromCharCode(byte);
    else text += `\\x${HEX[byte >> 4]}${HEX[byte & 15]}`;
  }
  return shown < end ? `${text}... (${end - start} bytes)` : text;
}
