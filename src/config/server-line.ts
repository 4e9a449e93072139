// Parsing of one `servers:` entry and twemproxy's server ordering.
import type { ServerConfig } from './types.js';

const TWEMPROXY_KETAMA_PORT = 11211;

export class ServerLineError extends Error {}

/**
 * Parses "host:port:weight [name]" or "/path/unix_socket:weight [name]" as twemproxy does:
 * fields are split from the end, so IPv6 literals ("[::1]:6379:1" or "::1:6379:1") work.
 */
export function parseServerLine(text: string, line: number): ServerConfig {
  const format = 'expected "host:port:weight [name]" or "/path/to/socket:weight [name]"';
  const trimmed = text.trim();
  const space = trimmed.indexOf(' ');
  const address = space === -1 ? trimmed : trimmed.slice(0, space);
  const explicitName = space === -1 ? null : trimmed.slice(space + 1).trim();
  if (explicitName === '') throw new ServerLineError(`has an empty name: ${format}`);
  const isUnix = address.startsWith('/');

  const weightColon = address.lastIndexOf(':');
  if (weightColon <= 0) throw new ServerLineError(`has an invalid format: ${format}`);
  const weightText = address.slice(weightColon + 1);
  const hostPort = address.slice(0, weightColon);
  const weight = parseDecimal(weightText);
  if (weight === null) throw new ServerLineError(`has an invalid weight '${weightText}': ${format}`);
  if (weight === 0) throw new ServerLineError(`has a zero weight: weights start at 1`);

  let host = hostPort;
  let port = 0;
  let portText = '';
  if (!isUnix) {
    const portColon = hostPort.lastIndexOf(':');
    if (portColon <= 0) throw new ServerLineError(`has no port: ${format}`);
    portText = hostPort.slice(portColon + 1);
    const parsedPort = parseDecimal(portText);
    if (parsedPort === null || parsedPort < 1 || parsedPort > 65535) {
      throw new ServerLineError(`has an invalid port '${portText}': ports are 1..65535`);
    }
    port = parsedPort;
    host = hostPort.slice(0, portColon);
    if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
    if (host === '') throw new ServerLineError(`has an empty host: ${format}`);
  }

  const addrText = hostPort.slice(0, isUnix ? hostPort.length : hostPort.lastIndexOf(':'));
  const name = explicitName ?? (port === TWEMPROXY_KETAMA_PORT ? addrText : `${addrText}:${portText}`);
  return { host, port, weight, name, pname: address, isUnix, line };
}

function parseDecimal(text: string): number | null {
  if (!/^[0-9]{1,9}$/.test(text)) return null;
  return Number(text);
}

/** twemproxy's string order: shorter first, then bytewise. */
export function compareTwemproxyStrings(a: string, b: string): number {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  if (left.length !== right.length) return left.length - right.length;
  return Buffer.compare(left, right);
}

/** twemproxy sorts a pool's servers by name before building its ring or modula table. */
export function sortServers(servers: readonly ServerConfig[]): ServerConfig[] {
  return [...servers].sort((a, b) => compareTwemproxyStrings(a.name, b.name));
}
