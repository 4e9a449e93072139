// Redis (RESP) as the core sees it, delegating to the redis modules.
import type { Codec } from '../codec.js';
import { ReplyScanner } from './reply-parser.js';
import { encodeCommand, errorReply } from './resp.js';

/** What a replica answers a write: `-READONLY You can't write against a read only replica.` */
const READONLY = Buffer.from('-READONLY ');

export const redisCodec: Codec = {
  createReplyScanner: () => new ReplyScanner(),
  setupRequests({ redisAuth, redisDb, resp3 }) {
    // AUTH before the others: a server with requirepass refuses them from an unauthenticated client.
    const requests: Buffer[] = [];
    if (redisAuth !== null) requests.push(encodeCommand('AUTH', redisAuth));
    if (resp3) requests.push(encodeCommand('HELLO', '3'));
    if (redisDb !== 0) requests.push(encodeCommand('SELECT', String(redisDb)));
    return requests;
  },
  isErrorReply: (reply) => reply[0] === 45 /* - */,
  isReplicaRefusal: (buf, start, end) => end - start > READONLY.length && buf.compare(READONLY, 0, READONLY.length, start, start + READONLY.length) === 0,
  serverErrorReply: (reason) => errorReply(`ERR ${reason}`),
  probeRequest: encodeCommand('PING'),
};
