// Commands the proxy answers itself: what it can answer truthfully for all shards at once
// (PING, ECHO, QUIT, AUTH, SELECT, INFO about the proxy, CLIENT names, HELLO 2 and 3), so that
// popular clients connect with their default options.
import type { ClientConnection } from './client-connection.js';
import type { ParsedRequest } from '../protocol/redis/request-parser.js';
import type { PoolConfig } from '../config/types.js';
import { bulkString, errorReply, integerReply, NIL_REPLY, OK_REPLY, PONG_REPLY } from '../protocol/redis/resp.js';
import { clientText } from '../log/client-text.js';

/** Facts about the running proxy that INFO and HELLO report. */
export interface ProxyInfo {
  readonly version: string;
  readonly startedAt: number;
  readonly clientCount: () => number;
}

/** What LocalArgs views before its first request: shared, so that an idle client holds no buffer of its own. */
const NO_REQUEST = Buffer.alloc(0);

/** The arguments of the request being answered: views into the client's bytes, reused per request. */
export class LocalArgs {
  buf: Buffer = NO_REQUEST;

  constructor(private readonly parsed: ParsedRequest) {}

  get count(): number {
    return this.parsed.argc;
  }

  text(index: number): string {
    return this.buf.toString('utf8', this.parsed.argStart[index]!, this.parsed.argEnd[index]!);
  }

  raw(index: number): Buffer {
    return this.buf.subarray(this.parsed.argStart[index]!, this.parsed.argEnd[index]!);
  }
}

export function answerLocally(name: string, client: ClientConnection, args: LocalArgs, pool: PoolConfig, info: ProxyInfo): void {
  client.reply(answer(name, args, client, pool, info), name === 'quit');
}

function answer(name: string, args: LocalArgs, client: ClientConnection, pool: PoolConfig, info: ProxyInfo): Buffer {
  switch (name) {
    case 'ping':
      if (args.count === 1) return PONG_REPLY;
      return args.count === 2 ? bulkString(args.raw(1)) : wrongArguments(name);
    case 'echo':
      return args.count === 2 ? bulkString(args.raw(1)) : wrongArguments(name);
    case 'quit':
      return OK_REPLY;
    case 'select':
      return args.count === 2 ? select(client, args.text(1), pool) : wrongArguments(name);
    case 'auth':
      if (args.count < 2 || args.count > 3) return wrongArguments(name);
      return authenticate(client, pool, args.count === 3 ? args.text(1) : 'default', args.text(args.count - 1));
    case 'info':
      return bulkString(infoText(pool, info));
    case 'client':
      return clientCommand(args, client);
    case 'hello':
      return hello(args, client, pool, info);
    default:
      return errorReply(`ERR unknown command '${name}'`);
  }
}

function wrongArguments(name: string): Buffer {
  return errorReply(`ERR wrong number of arguments for '${name}' command`);
}

/**
 * SELECT of the pool's database works. Any other database is accepted too, and the commands sent
 * while it is selected are refused (see foreignDbError): a client that selects a database on
 * connecting (node-redis with a URL ending in /1) then fails once per command instead of
 * reconnecting forever, and one that ignores a failed SELECT (ioredis' db option, redis-cli -n)
 * writes nothing into the pool's database by mistake.
 */
function select(client: ClientConnection, db: string, pool: PoolConfig): Buffer {
  if (!/^-?[0-9]{1,10}$/.test(db)) return errorReply('ERR value is not an integer or out of range');
  const index = Number(db);
  if (index < 0 || index > 0x7fffffff) return errorReply('ERR DB index is out of range');
  client.foreignDb = index === pool.redisDb ? -1 : index;
  return OK_REPLY;
}

/** The reply to a command sent while a database other than the pool's is selected. */
export function foreignDbError(client: ClientConnection, pool: PoolConfig, typedName: string): Buffer {
  return errorReply(`ERR '${typedName}' not run: this connection selected database ${client.foreignDb}, but nutcracker ` +
    `pool '${pool.name}' serves database ${pool.redisDb} only; use database ${pool.redisDb} (SELECT ${pool.redisDb}, ` +
    `or no database in the client's URL/options), or set redis_db: ${client.foreignDb} on the pool`);
}

function authenticate(client: ClientConnection, pool: PoolConfig, user: string, password: string): Buffer {
  if (pool.redisAuth === null) return errorReply('ERR Client sent AUTH, but no password is set');
  client.authenticated = user === 'default' && password === pool.redisAuth;
  return client.authenticated ? OK_REPLY : errorReply('ERR invalid password');
}

function clientCommand(args: LocalArgs, client: ClientConnection): Buffer {
  if (args.count < 2) return wrongArguments('client');
  const sub = args.text(1).toLowerCase();
  switch (sub) {
    case 'setname':
      if (args.count !== 3) return wrongArguments('client|setname');
      if (/[\s]/.test(args.text(2))) return errorReply('ERR Client names cannot contain spaces, newlines or special characters.');
      client.name = args.text(2) === '' ? null : args.text(2);
      return OK_REPLY;
    case 'getname':
      return client.name === null ? NIL_REPLY : bulkString(client.name);
    case 'setinfo':
      if (args.count !== 4) return wrongArguments('client|setinfo');
      if (!['lib-name', 'lib-ver'].includes(args.text(2).toLowerCase())) {
        return errorReply(`ERR Unrecognized option '${clientText(args.raw(2))}'`);
      }
      return OK_REPLY;
    case 'id':
      return integerReply(client.id);
    default:
      return errorReply(`ERR CLIENT ${clientText(args.raw(1))} is not supported by nutcracker (supported: SETNAME, GETNAME, SETINFO, ID)`);
  }
}

/**
 * HELLO [protover [AUTH user pass] [SETNAME name]]. With HELLO 3 the client's requests go to
 * server connections that said HELLO 3 themselves, so every reply it gets is the server's RESP3.
 */
function hello(args: LocalArgs, client: ClientConnection, pool: PoolConfig, info: ProxyInfo): Buffer {
  const version = args.count >= 2 ? args.text(1) : client.resp3 ? '3' : '2';
  if (version !== '2' && version !== '3') {
    return /^[0-9]+$/.test(version)
      ? errorReply('NOPROTO sorry, this protocol version is not supported.')
      : errorReply('ERR Protocol version is not an integer or out of range');
  }
  for (let i = 2; i < args.count; i++) {
    const option = args.text(i).toLowerCase();
    if (option === 'auth' && i + 2 < args.count) {
      const reply = authenticate(client, pool, args.text(i + 1), args.text(i + 2));
      if (!client.authenticated) return reply;
      i += 2;
    } else if (option === 'setname' && i + 1 < args.count) {
      client.name = args.text(++i);
    } else {
      return errorReply(`ERR Syntax error in HELLO option '${clientText(args.raw(i))}'`);
    }
  }
  if (pool.redisAuth !== null && !client.authenticated) return errorReply('NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time');
  client.resp3 = version === '3';
  const fields: [string, string | number][] = [
    ['server', 'nutcracker'], ['version', info.version], ['proto', Number(version)], ['id', client.id],
    ['mode', 'proxy'], ['role', 'master'],
  ];
  let reply = client.resp3 ? `%${fields.length + 1}\r\n` : `*${fields.length * 2 + 2}\r\n`;
  for (const [key, value] of fields) {
    reply += `$${key.length}\r\n${key}\r\n`;
    reply += typeof value === 'number' ? `:${value}\r\n` : `$${Buffer.byteLength(value)}\r\n${value}\r\n`;
  }
  return Buffer.from(`${reply}$7\r\nmodules\r\n*0\r\n`);
}

function infoText(pool: PoolConfig, info: ProxyInfo): string {
  const uptime = Math.floor((Date.now() - info.startedAt) / 1000);
  const lines = [
    '# Server',
    `nutcracker_version:${info.version}`,
    'redis_mode:proxy',
    `process_id:${process.pid}`,
    `pool:${pool.name}`,
    `servers:${pool.servers.length}`,
    `uptime_in_seconds:${uptime}`,
    '',
    '# Clients',
    `connected_clients:${info.clientCount()}`,
    '',
    '# Persistence',
    'loading:0',
    '',
  ];
  return lines.join('\r\n');
}
