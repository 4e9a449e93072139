// The codec of each protocol a pool can speak.
import type { ProtocolName } from '../config/types.js';
import type { Codec } from './codec.js';
import { redisCodec } from './redis/codec.js';

export function codecFor(protocol: ProtocolName): Codec {
  switch (protocol) {
    case 'redis':
      return redisCodec;
    case 'memcache':
    case 'tcp':
      // The config loader refuses these pools until they are built.
      throw new Error(`${protocol} pools have no codec yet`);
  }
}
