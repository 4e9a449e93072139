// The codec of each protocol a pool can speak.
import type { ProtocolName } from '../config/types.js';
import type { Codec } from './codec.js';
import { memcacheCodec } from './memcache/codec.js';
import { redisCodec } from './redis/codec.js';

export function codecFor(protocol: ProtocolName): Codec {
  switch (protocol) {
    case 'redis':
      return redisCodec;
    case 'memcache':
      return memcacheCodec;
    case 'tcp':
      // The config loader refuses tcp pools until the tcp relay is built.
      throw new Error('tcp pools have no codec: they relay bytes');
  }
}
