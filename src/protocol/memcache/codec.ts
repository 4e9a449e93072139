// The memcached ASCII protocol as the core sees it.
import type { Codec } from '../codec.js';
import { MemcacheReplyScanner } from './reply-scanner.js';

export const memcacheCodec: Codec = {
  createReplyScanner: () => new MemcacheReplyScanner(),
  // memcached's ASCII protocol has no authentication or database to select.
  setupRequests: () => [],
  isErrorReply: (reply) => isServerOrClientError(reply) || reply.equals(ERROR_LINE),
  // memcached has no replicas that refuse writes.
  isReplicaRefusal: () => false,
  serverErrorReply: (reason) => Buffer.from(`SERVER_ERROR ${reason.replace(/[\r\n]+/g, ' ')}\r\n`),
  probeRequest: Buffer.from('version\r\n'),
};

const ERROR_LINE = Buffer.from('ERROR\r\n');
const SERVER_ERROR = Buffer.from('SERVER_ERROR ');
const CLIENT_ERROR = Buffer.from('CLIENT_ERROR ');

function isServerOrClientError(reply: Buffer): boolean {
  return reply.subarray(0, SERVER_ERROR.length).equals(SERVER_ERROR) || reply.subarray(0, CLIENT_ERROR.length).equals(CLIENT_ERROR);
}
