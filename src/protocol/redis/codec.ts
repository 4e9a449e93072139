// Redis (RESP) as the core sees it, delegating to the redis modules.
import type { Codec } from '../codec.js';
import { ReplyScanner } from './reply-parser.js';
import { encodeCommand, errorReply } from './resp.js';

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
  serverErrorReply: (reason) => errorReply(`ERR ${reason}`),
  probeRequest: encodeCommand('PING'),
};
