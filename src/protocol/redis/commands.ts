// The Redis command table: how the proxy handles each command it knows (twemproxy's key rules).

export const enum Route {
  /** Key at argument 1 and exactly `arity` arguments in all (twemproxy's arg0..arg3). */
  FixedKey,
  /** Key at argument 1, any number of further arguments (twemproxy's argn). */
  VariadicKey,
  /** One or more keys, split across servers and merged (twemproxy's argx). */
  MultiKey,
  /** key value pairs, split across servers (MSET, twemproxy's argkvx). */
  KeyValuePairs,
  /** script numkeys key [key ...] arg ...: routed by the first key. */
  Eval,
  /** Needs no key: forwarded to any one server (COMMAND, LOLWUT). */
  AnyServer,
  /** Answered by the proxy itself. */
  Local,
  /** MEMORY USAGE key [...]: the key follows the subcommand. */
  MemoryUsage,
  /** SCAN cursor ...: walks every server in turn (redis-scan.ts). */
  Scan,
  /** Sent to every server, replies merged (DBSIZE: summed). */
  EveryServer,
  /** MULTI, EXEC, DISCARD, WATCH, UNWATCH: a transaction pinned to one server (redis-transaction.ts). */
  Transaction,
}

export const enum Merge {
  None,
  /** MGET: one reply element per key, in the client's key order. */
  Values,
  /** DEL, UNLINK, EXISTS, TOUCH: integer replies summed. */
  Sum,
  /** MSET: +OK when every part answered +OK. */
  AllOk,
}

export interface CommandSpec {
  /** Lower-case name, as it appears in messages. */
  readonly name: string;
  readonly route: Route;
  /** For FixedKey: the exact argument count including the command name. */
  readonly arity: number;
  readonly merge: Merge;
}

const fixedKey = (arity: number) => (name: string): CommandSpec => ({ name, route: Route.FixedKey, arity, merge: Merge.None });
const withRoute = (route: Route, merge = Merge.None) => (name: string): CommandSpec => ({ name, route, arity: 0, merge });

const ONE_KEY = 'persist pttl ttl type dump decr get getdel incr strlen hgetall hkeys hlen hvals llen scard smembers zcard';
const KEY_AND_ONE = 'expire expireat pexpire pexpireat move append decrby getbit getset incrby incrbyfloat setnx ' +
  'hexists hget hstrlen lindex rpoplpush sismember zrank zrevrank zscore';
const KEY_AND_TWO = 'getrange psetex setbit setex setrange hincrby hincrbyfloat hsetnx lrange lrem lset ltrim smove ' +
  'zcount zlexcount zincrby zremrangebylex zremrangebyrank zremrangebyscore';
const KEY_AND_THREE = 'linsert lmove';
const KEY_AND_ANY = 'sort copy bitcount bitpos bitfield getex set hdel hmget hmset hscan hset hrandfield lpush lpushx ' +
  'rpush rpushx lpop rpop lpos sadd sdiff sdiffstore sinter sinterstore srem sunion sunionstore srandmember sscan spop ' +
  'smismember pfadd pfmerge pfcount zadd zdiff zdiffstore zinter zinterstore zmscore zpopmax zpopmin zrandmember zrange ' +
  'zrangebylex zrangebyscore zrangestore zrem zrevrange zrevrangebylex zrevrangebyscore zscan zunion zunionstore ' +
  'geodist geopos geohash geoadd georadius georadiusbymember geosearch geosearchstore restore';
const LOCAL = 'ping quit echo select auth info client hello';

function build(): CommandSpec[] {
  const specs: CommandSpec[] = [];
  const add = (names: string, make: (name: string) => CommandSpec) => {
    for (const name of names.split(' ')) specs.push(make(name));
  };
  add(ONE_KEY, fixedKey(2));
  add(KEY_AND_ONE, fixedKey(3));
  add(KEY_AND_TWO, fixedKey(4));
  add(KEY_AND_THREE, fixedKey(5));
  add(KEY_AND_ANY, withRoute(Route.VariadicKey));
  add('mget', withRoute(Route.MultiKey, Merge.Values));
  add('del unlink exists touch', withRoute(Route.MultiKey, Merge.Sum));
  add('mset', withRoute(Route.KeyValuePairs, Merge.AllOk));
  add('eval evalsha', withRoute(Route.Eval));
  add('command lolwut', withRoute(Route.AnyServer));
  add(LOCAL, withRoute(Route.Local));
  add('multi exec discard watch unwatch', withRoute(Route.Transaction));
  add('scan', withRoute(Route.Scan));
  add('memory', withRoute(Route.MemoryUsage));
  add('dbsize', withRoute(Route.EveryServer, Merge.Sum));
  return specs;
}

const MAX_NAME_LENGTH = 24;
const table = new Map<number, CommandSpec>();

for (const spec of build()) {
  const bytes = Buffer.from(spec.name);
  const key = nameKey(bytes, 0, bytes.length);
  if (table.has(key)) throw new Error(`command table: '${spec.name}' collides with '${table.get(key)!.name}'`);
  table.set(key, spec);
}

/** FNV-1a over the lower-cased bytes, mixed with the length: a Map key found without building a string. */
function nameKey(buf: Buffer, start: number, end: number): number {
  let hash = 0x811c9dc5;
  for (let i = start; i < end; i++) {
    hash ^= buf[i]! | 0x20;
    hash = Math.imul(hash, 0x01000193);
  }
  return ((hash ^ (end - start)) >>> 0);
}

/** Finds the command whose name is buf[start, end), case-insensitively, without allocating. */
export function lookupCommand(buf: Buffer, start: number, end: number): CommandSpec | undefined {
  const length = end - start;
  if (length === 0 || length > MAX_NAME_LENGTH) return undefined;
  const spec = table.get(nameKey(buf, start, end));
  if (spec === undefined || spec.name.length !== length) return undefined;
  for (let i = 0; i < length; i++) {
    const byte = buf[start + i]!;
    const lower = byte >= 65 && byte <= 90 ? byte | 0x20 : byte;
    if (lower !== spec.name.charCodeAt(i)) return undefined;
  }
  return spec;
}
