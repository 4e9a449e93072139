// twemproxy's `crc16`: CRC-16/XMODEM steps, but the running value is never cut to 16 bits,
// so results use the whole 32-bit range.

const CRC16_POLYNOMIAL = 0x1021;
const CRC16_TABLE = buildCrc16Table();

function buildCrc16Table(): Uint16Array {
  const table = new Uint16Array(256);
  for (let n = 0; n < 256; n++) {
    let crc = n << 8;
    for (let bit = 0; bit < 8; bit++) {
      crc = crc & 0x8000 ? (crc << 1) ^ CRC16_POLYNOMIAL : crc << 1;
    }
    table[n] = crc & 0xffff;
  }
  return table;
}

export function crc16(buf: Buffer, start: number, end: number): number {
  let crc = 0;
  for (let i = start; i < end; i++) {
    // The shift keeps the bits above 16 (up to 32): that is twemproxy's quirk.
    crc = (crc << 8) ^ CRC16_TABLE[((crc >>> 8) ^ buf[i]) & 0xff];
  }
  return crc >>> 0;
}
