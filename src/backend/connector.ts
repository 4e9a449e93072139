// How a server connection gets its socket: plain TCP (or a unix socket), or TLS, chosen per pool.
// The TLS connector checks the certificate against the configured host name (or tls_server_name)
// and sends it as SNI, whatever address it connects to, and resumes TLS sessions on reconnect.
import { connect as connectPlain, isIP, type Socket } from 'node:net';
import type { SecureContext, TLSSocket } from 'node:tls';
import type { TlsConfig } from '../config/types.js';
import { describeSocketError } from '../util/errors.js';
import { tlsModule } from '../util/lazy-builtins.js';

/** Where to connect: a host (IP or name) and port, or a unix socket path (`host` when `isUnix`). */
export interface Endpoint {
  readonly host: string;
  readonly port: number;
  readonly isUnix: boolean;
}

export interface Connector {
  /** The socket's event after which it carries requests ('secureConnect' once the TLS handshake is done). */
  readonly readyEvent: 'connect' | 'secureConnect';
  /** Opens a socket to `endpoint`; `hostName` is the server's configured host, for the TLS name check. */
  open(endpoint: Endpoint, hostName: string): Socket;
  /** What a socket error means, for the log and the clients' error replies; `ready`: after readyEvent. */
  describeError(err: NodeJS.ErrnoException, ready: boolean): string;
  /** How a ready socket is connected, for the log line: '' for plain TCP. */
  describeReady(socket: Socket): string;
}

export function createConnector(tls: TlsConfig | null): Connector {
  return tls === null ? PLAIN_CONNECTOR : new TlsConnector(tls);
}

const PLAIN_CONNECTOR: Connector = {
  readyEvent: 'connect',
  open: (endpoint) => (endpoint.isUnix ? connectPlain({ path: endpoint.host }) : connectPlain({ host: endpoint.host, port: endpoint.port })),
  describeError: (err) => describeSocketError(err),
  describeReady: () => '',
};

/**
 * Longest wait for the server's next handshake message. A port that does not speak TLS may wait
 * for more bytes forever (redis reads a ClientHello as an unfinished inline command).
 */
const HANDSHAKE_SILENCE_MS = 10000;
const HANDSHAKE_TIMEOUT = 'ERR_NUTCRACKER_TLS_HANDSHAKE_TIMEOUT';

/** Sessions kept for resumption, one per endpoint and name; the oldest goes beyond this many. */
const MAX_SESSIONS = 1024;

/** Certificate checks that fail because the chain does not lead to a CA of tls_ca_file (or the system's). */
const UNTRUSTED_CHAIN = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'CERT_SIGNATURE_FAILURE', 'CERT_UNTRUSTED',
]);

class TlsConnector implements Connector {
  readonly readyEvent = 'secureConnect';
  private readonly context: SecureContext;
  private readonly sessions = new Map<string, Buffer>();
  private readonly tls = tlsModule();

  constructor(private readonly config: TlsConfig) {
    this.context = this.tls.createSecureContext({ ca: config.ca ?? undefined, cert: config.cert ?? undefined, key: config.key ?? undefined });
  }

  open(endpoint: Endpoint, hostName: string): Socket {
    const name = this.config.serverName ?? hostName;
    // Per name too: Node does not check the name again on a resumed session.
    const sessionKey = `${name} ${endpoint.host}:${endpoint.port}`;
    const { connect, checkServerIdentity } = this.tls;
    const socket = connect({
      ...(endpoint.isUnix ? { path: endpoint.host } : { host: endpoint.host, port: endpoint.port }),
      secureContext: this.context,
      rejectUnauthorized: this.config.verifyPeer,
      // SNI carries names only (RFC 6066); the certificate is checked against the name, not the address.
      servername: isIP(name) === 0 ? name : undefined,
      checkServerIdentity: (_host, certificate) => checkServerIdentity(name, certificate),
      session: this.sessions.get(sessionKey),
    });
    socket.on('session', (session: Buffer) => this.keepSession(sessionKey, session));
    socket.setTimeout(HANDSHAKE_SILENCE_MS, () => socket.destroy(silenceError(socket.connecting)));
    socket.once('secureConnect', () => socket.setTimeout(0));
    return socket;
  }

  describeError(err: NodeJS.ErrnoException, ready: boolean): string {
    const reason = describeTlsError(err);
    if (reason !== null) return ready ? `TLS error: ${reason}` : `TLS handshake failed: ${reason}`;
    // Node's "socket disconnected before secure TLS connection was established".
    if (!ready && err.code === 'ECONNRESET') return 'TLS handshake failed: the server closed the connection during the handshake: is this its TLS port?';
    return describeSocketError(err);
  }

  describeReady(socket: Socket): string {
    const tls = socket as TLSSocket;
    return ` over ${tls.getProtocol() ?? 'TLS'}${tls.isSessionReused() ? ' (session resumed)' : ''}` +
      (tls.authorized ? '' : ' (certificate not verified: tls_verify_peer is false)');
  }

  private keepSession(key: string, session: Buffer): void {
    this.sessions.delete(key);
    if (this.sessions.size >= MAX_SESSIONS) this.sessions.delete(this.sessions.keys().next().value!);
    this.sessions.set(key, session);
  }
}

/** The server said nothing for too long: during the TCP connect, or during the TLS handshake. */
function silenceError(connecting: boolean): Error {
  return connecting
    ? Object.assign(new Error('connect timed out'), { code: 'ETIMEDOUT' })
    : Object.assign(new Error('TLS handshake timed out'), { code: HANDSHAKE_TIMEOUT });
}

/** An error of a TLS socket: OpenSSL's ones say which library and why. */
type TlsError = NodeJS.ErrnoException & { library?: string; reason?: string };

/** The reason and the fix for a TLS failure; null for an error that is not TLS's (a reset, a refused connect). */
function describeTlsError(err: TlsError): string | null {
  const code = err.code ?? '';
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    return `the server's certificate is not for this name (${err.message}): ` +
      "set 'tls_server_name' to a name it is for, or correct the server's host";
  }
  if (code === HANDSHAKE_TIMEOUT) {
    return `the server sent nothing for ${HANDSHAKE_SILENCE_MS / 1000} s during the handshake: is this its TLS port?`;
  }
  if (code === 'CERT_HAS_EXPIRED') return "the server's certificate has expired (CERT_HAS_EXPIRED): renew it on the server";
  if (code === 'CERT_NOT_YET_VALID') return "the server's certificate is not valid yet (CERT_NOT_YET_VALID): check the clocks, or wait";
  if (UNTRUSTED_CHAIN.has(code)) {
    return `the server's certificate is not signed by a trusted CA (${err.message}, ${code}): ` +
      "set 'tls_ca_file' to the CA that signs it";
  }
  if (code === 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED' || code === 'ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE') {
    return `the server refused the handshake (${alertText(err)}); if it requires a client certificate, ` +
      "set 'tls_cert_file' and 'tls_key_file'";
  }
  if (code === 'ERR_SSL_WRONG_VERSION_NUMBER' || code === 'ERR_SSL_PACKET_LENGTH_TOO_LONG') {
    return `the server does not speak TLS on this port (${alertText(err)}): point the pool at its TLS port, or remove 'tls_enabled'`;
  }
  if (code.startsWith('ERR_SSL_') || err.library === 'SSL routines') return alertText(err);
  return null;
}

/** OpenSSL's reason ("tlsv13 alert certificate required"), without its source file and line. */
function alertText(err: TlsError): string {
  return err.reason ?? err.message;
}
