// Parsing of a pool's `listen:` value.
import type { ListenAddress } from './types.js';

export class ListenError extends Error {}

const TCP_FORMAT = 'expected "host:port", "[ipv6]:port" or "/path/to/socket [octal permissions]"';

/**
 * Parses "host:port", "[ipv6]:port" or "/path/to/socket [permissions]" as twemproxy does: the
 * port is after the last ':' (so an unbracketed "::1:22121" works too) and the permissions are
 * after the last space of a socket path.
 */
export function parseListen(text: string): ListenAddress {
  const value = text.trim();
  return value.startsWith('/') ? parseUnixListen(value) : parseTcpListen(value);
}

function parseUnixListen(value: string): ListenAddress {
  const space = value.lastIndexOf(' ');
  if (space === -1) return { kind: 'unix', path: value, mode: null, text: value };
  const path = value.slice(0, space).trimEnd();
  const permissions = value.slice(space + 1);
  // Up to 4 octal digits ("0666"), no more than 0777: the file mode bits a socket can use.
  if (!/^[0-7]{1,4}$/.test(permissions) || parseInt(permissions, 8) > 0o777) {
    throw new ListenError(`has invalid socket permissions '${permissions}': expected octal 0..0777, e.g. "${path} 0666"`);
  }
  return { kind: 'unix', path, mode: parseInt(permissions, 8), text: value };
}

function parseTcpListen(value: string): ListenAddress {
  const colon = value.lastIndexOf(':');
  if (colon === -1) throw new ListenError(`has no port: ${TCP_FORMAT}`);
  const portText = value.slice(colon + 1);
  const port = /^[0-9]{1,5}$/.test(portText) ? Number(portText) : 0;
  if (port < 1 || port > 65535) throw new ListenError(`has an invalid port '${portText}': ports are 1..65535`);
  let host = value.slice(0, colon);
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  if (host === '') throw new ListenError(`has no host: use 0.0.0.0 (or [::]) to listen on every interface`);
  if (/\s/.test(host)) throw new ListenError(`has a space in its host '${host}': ${TCP_FORMAT}`);
  return { kind: 'tcp', host, port, text: value };
}

/** The identity of a listening socket, to find two pools listening on the same one. */
export function listenIdentity(listen: ListenAddress): string {
  return listen.kind === 'unix' ? `unix:${listen.path}` : `tcp:${listen.host.toLowerCase()}:${listen.port}`;
}
