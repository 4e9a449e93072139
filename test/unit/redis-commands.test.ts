import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { lookupCommand, Merge, Route } from '../../src/protocol/redis/commands.js';

function lookup(name: string) {
  const buf = Buffer.from(`xx${name}yy`);
  return lookupCommand(buf, 2, 2 + name.length);
}

describe('Redis command table', () => {
  it('finds commands in any letter case, inside a larger buffer', () => {
    for (const name of ['get', 'GET', 'Get', 'gEt']) assert.equal(lookup(name)?.name, 'get');
  });

  it('knows twemproxy key rules', () => {
    assert.deepEqual(pick(lookup('get')), { route: Route.FixedKey, arity: 2, merge: Merge.None });
    assert.deepEqual(pick(lookup('hget')), { route: Route.FixedKey, arity: 3, merge: Merge.None });
    assert.deepEqual(pick(lookup('setex')), { route: Route.FixedKey, arity: 4, merge: Merge.None });
    assert.deepEqual(pick(lookup('linsert')), { route: Route.FixedKey, arity: 5, merge: Merge.None });
    assert.equal(lookup('set')?.route, Route.VariadicKey);
    assert.equal(lookup('zadd')?.route, Route.VariadicKey);
    assert.deepEqual(pick(lookup('mget')), { route: Route.MultiKey, arity: 0, merge: Merge.Values });
    for (const name of ['del', 'unlink', 'exists', 'touch']) assert.equal(lookup(name)?.merge, Merge.Sum);
    assert.deepEqual(pick(lookup('mset')), { route: Route.KeyValuePairs, arity: 0, merge: Merge.AllOk });
    assert.equal(lookup('evalsha')?.route, Route.Eval);
    assert.equal(lookup('command')?.route, Route.AnyServer);
    for (const name of ['ping', 'quit', 'auth', 'select', 'echo', 'info', 'client', 'hello']) assert.equal(lookup(name)?.route, Route.Local);
    for (const name of ['multi', 'exec', 'discard', 'watch', 'unwatch']) assert.equal(lookup(name)?.route, Route.Transaction);
    assert.equal(lookup('scan')?.route, Route.Scan);
    assert.deepEqual(pick(lookup('dbsize')), { route: Route.EveryServer, arity: 0, merge: Merge.Sum });
    assert.equal(lookup('memory')?.route, Route.MemoryUsage);
  });

  it('does not know commands it cannot route, nor near misses', () => {
    for (const name of ['keys', 'subscribe', 'flushall', 'config', 'gett', 'ge', '', 'x'.repeat(40)]) {
      assert.equal(lookup(name), undefined, name);
    }
  });
});

function pick(spec: ReturnType<typeof lookup>) {
  assert.ok(spec);
  return { route: spec.route, arity: spec.arity, merge: spec.merge };
}
