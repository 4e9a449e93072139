// The codec of each protocol a pool can speak.
import type { ProtocolName } from '../config/types.js';
import type { Codec } from './codec.js';
import { memcacheCodec } from './memcache/codec.js';
import { redisCodec } from './redis/codec.js';
import { tcpCodec } from './tcp/codec.js';

export function codecFor(protocol: ProtocolName): Codec {
  switch (protocol) {
    case 'redis':
      return redisCodec;
    case 'memcache':
      return memcacheCodec;
    case 'tcp':
      return tcpCodec;
  }
}
