// twemproxy's `crc32` (libmemcached's variant: only 15 bits of the CRC) and `crc32a`
// (the standard CRC-32 of zlib/IEEE 802.3).

const CRC32_REFLECTED_POLYNOMIAL = 0xedb88320;
const CRC32_TABLE = buildCrc32Table();

function buildCrc32Table(): Int32Array {
  const table = new Int32Array(256);
  for (let n = 0; n < 256; n++) {
    let crc = n;
    for (let bit = 0; bit < 8; bit++) {
      crc = crc & 1 ? (crc >>> 1) ^ CRC32_REFLECTED_POLYNOMIAL : crc >>> 1;
    }
    table[n] = crc;
  }
  return table;
}

/** The complemented CRC-32 register after feeding buf[start, end). */
function crc32Register(buf: Buffer, start: number, end: number): number {
  let crc = -1;
  for (let i = start; i < end; i++) {
    crc = (crc >>> 8) ^ CRC32_TABLE[(crc ^ buf[i]) & 0xff];
  }
  return crc;
}

/** libmemcached compatibility: bits 16..30 of the CRC, so values are 0..32767 only. */
export function crc32(buf: Buffer, start: number, end: number): number {
  return (~crc32Register(buf, start, end) >>> 16) & 0x7fff;
}

export function crc32a(buf: Buffer, start: number, end: number): number {
  return ~crc32Register(buf, start, end) >>> 0;
}
