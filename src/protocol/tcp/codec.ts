// Raw TCP (protocol: tcp): bytes are relayed, never parsed, so there are no requests or replies.
// The codec only says so: a tcp pool's clients are relayed by src/proxy/tcp-relay.ts over
// tunnels (src/backend/tunnel.ts) and probed by src/backend/tcp-probe.ts; no server connection
// of the request path is ever opened for it.
import type { Codec, ReplyScanner } from '../codec.js';

export const tcpCodec: Codec = {
  createReplyScanner: (): ReplyScanner => {
    throw new Error('a tcp pool relays bytes: it has no replies to scan');
  },
  setupRequests: () => [],
  isErrorReply: () => false,
  isReplicaRefusal: () => false,
  // A tcp client whose server fails is closed: there is no error message it would understand.
  serverErrorReply: () => Buffer.alloc(0),
  probeRequest: Buffer.alloc(0),
};
