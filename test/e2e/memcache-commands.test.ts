// A memcached pool through the proxy against three real memcached processes: every command with
// and without noreply, multi-gets split across shards and merged in key order, binary and large
// values, pipelines, byte splits, and quit/version as twemproxy answers them.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { RawClient } from '../helpers/raw-client.js';
import { MemcachedPool, memcacheReplies, splitMemcacheReplies } from '../helpers/memcached.js';
import { fileURLToPath } from 'node:url';
import { readStats } from '../helpers/nutcracker.js';
import { runCommand } from '../helpers/process.js';
import { waitFor } from '../helpers/ports.js';

describe('memcached pool: commands', () => {
  let pool: MemcachedPool;

  before(async () => {
    pool = await MemcachedPool.start(3);
  });

  after(async () => {
    await pool?.destroy();
  });

  /** Sends raw bytes on a new connection and returns its first `count` replies. */
  async function send(data: string | Buffer, count = 1): Promise<string[]> {
    const fresh = await RawClient.connect(pool.port);
    try {
      fresh.write(data);
      return await memcacheReplies(fresh, count);
    } finally {
      fresh.close();
    }
  }

  /** What the shard holding `key` answers to a get, asked directly. */
  async function onShards(key: string): Promise<string[]> {
    return Promise.all(pool.servers.map(async (server) => (await server.request(`get ${key}\r\n`))[0]!));
  }

  test('set, get and gets: values land on exactly one shard and come back byte for byte', async () => {
    assert.deepEqual(await send('set cmd:a 7 0 5\r\nalpha\r\nget cmd:a\r\n', 2), ['STORED\r\n', 'VALUE cmd:a 7 5\r\nalpha\r\nEND\r\n']);
    const held = await onShards('cmd:a');
    assert.equal(held.filter((reply) => reply.startsWith('VALUE')).length, 1, `held on one shard: ${held}`);
    const [gets] = await send('gets cmd:a\r\n');
    assert.match(gets!, /^VALUE cmd:a 7 5 \d+\r\nalpha\r\nEND\r\n$/);
  });

  test('add, replace, append, prepend, cas, incr, decr, delete and touch answer as memcached does', async () => {
    const replies = await send([
      'add cmd:b 0 0 1\r\n1\r\n', 'add cmd:b 0 0 1\r\n2\r\n', 'replace cmd:b 0 0 2\r\n10\r\n', 'replace cmd:none 0 0 1\r\nx\r\n',
      'append cmd:b 0 0 1\r\n0\r\n', 'prepend cmd:b 0 0 1\r\n1\r\n', 'get cmd:b\r\n', 'incr cmd:b 5\r\n', 'decr cmd:b 2000\r\n',
      'incr cmd:none 1\r\n', 'touch cmd:b 100\r\n', 'touch cmd:none 100\r\n', 'delete cmd:b\r\n', 'delete cmd:b\r\n',
    ].join(''), 14);
    assert.deepEqual(replies, [
      'STORED\r\n', 'NOT_STORED\r\n', 'STORED\r\n', 'NOT_STORED\r\n', 'STORED\r\n', 'STORED\r\n', 'VALUE cmd:b 0 4\r\n1100\r\nEND\r\n',
      '1105\r\n', '0\r\n', 'NOT_FOUND\r\n', 'TOUCHED\r\n', 'NOT_FOUND\r\n', 'DELETED\r\n', 'NOT_FOUND\r\n',
    ]);
    const [gets] = await send('set cmd:c 0 0 1\r\nx\r\ngets cmd:c\r\n', 2).then((r) => r.slice(1));
    const unique = /^VALUE cmd:c 0 1 (\d+)\r\n/.exec(gets!)![1];
    assert.deepEqual(await send(`cas cmd:c 0 0 1 ${unique}\r\ny\r\ncas cmd:c 0 0 1 ${unique}\r\nz\r\ncas cmd:none 0 0 1 1\r\nq\r\nget cmd:c\r\n`, 4),
      ['STORED\r\n', 'EXISTS\r\n', 'NOT_FOUND\r\n', 'VALUE cmd:c 0 1\r\ny\r\nEND\r\n']);
  });

  test('every command with noreply: nothing comes back, and the effect is there', async () => {
    const fresh = await RawClient.connect(pool.port);
    try {
      fresh.write([
        'set nr:a 0 0 1 noreply\r\n5\r\n', 'add nr:b 0 0 1 noreply\r\nb\r\n', 'replace nr:b 0 0 2 noreply\r\nbb\r\n',
        'append nr:b 0 0 1 noreply\r\n+\r\n', 'prepend nr:b 0 0 1 noreply\r\n-\r\n', 'incr nr:a 10 noreply\r\n', 'decr nr:a 3 noreply\r\n',
        'set nr:c 0 0 1 noreply\r\nc\r\n', 'touch nr:c 100 noreply\r\n', 'delete nr:c noreply\r\n', 'add nr:b 0 0 1 noreply\r\nx\r\n',
        'get nr:a nr:b nr:c\r\n',
      ].join(''));
      const first = 'VALUE nr:a 0 2\r\n12\r\nVALUE nr:b 0 4\r\n-bb+\r\nEND\r\n';
      assert.deepEqual(await memcacheReplies(fresh, 1), [first]);
      const [gets] = await send('gets nr:a\r\n');
      const unique = /^VALUE nr:a 0 2 (\d+)\r\n/.exec(gets!)![1];
      fresh.write(`cas nr:a 0 0 3 ${unique} noreply\r\nnew\r\nget nr:a\r\n`);
      assert.deepEqual(await memcacheReplies(fresh, 2), [first, 'VALUE nr:a 0 3\r\nnew\r\nEND\r\n']);
      assert.equal(splitMemcacheReplies(fresh.bytes).length, 2, 'nothing else came back');
    } finally {
      fresh.close();
    }
  });

  test('a get of 100 keys across the shards, values up to 1 MB with CRLF and binary bytes, comes back in key order with one END', async () => {
    const keys = Array.from({ length: 100 }, (_, i) => `big:${i}`);
    const values = keys.map((_, i) => {
      const size = i % 10 === 0 ? 1000 * 1000 - 100 : 1 + i * 37;
      const value = Buffer.alloc(size);
      for (let b = 0; b < size; b++) value[b] = (b * 31 + i) & 0xff;
      value.write('\r\nEND\r\n', Math.floor(size / 2) % Math.max(1, size - 7), 'latin1');
      return value;
    });
    const fresh = await RawClient.connect(pool.port);
    try {
      fresh.write(Buffer.concat(keys.flatMap((key, i) => [Buffer.from(`set ${key} ${i} 0 ${values[i]!.length}\r\n`), values[i]!, Buffer.from('\r\n')])));
      const stored = await memcacheReplies(fresh, keys.length, 20000);
      assert.ok(stored.every((reply) => reply === 'STORED\r\n'));
      const holders = await Promise.all(pool.servers.map((server) => server.request(`get ${keys.join(' ')}\r\n`)));
      assert.ok(holders.filter(([reply]) => reply !== 'END\r\n').length >= 2, 'the keys are spread over several shards');
      const asked = [...keys.slice(50), 'big:missing', ...keys.slice(0, 50), 'big:7'];
      fresh.write(`get ${asked.join(' ')}\r\n`);
      const reply = (await memcacheReplies(fresh, keys.length + 1, 20000))[keys.length];
      const expected = Buffer.concat([...asked.filter((key) => key !== 'big:missing').flatMap((key) => {
        const i = Number(key.split(':')[1]);
        return [Buffer.from(`VALUE ${key} ${i} ${values[i]!.length}\r\n`), values[i]!, Buffer.from('\r\n')];
      }), Buffer.from('END\r\n')]);
      assert.ok(Buffer.from(reply!, 'latin1').equals(expected), 'merged reply is byte-exact and in key order');
    } finally {
      fresh.close();
    }
  });

  test('gets across shards keeps each CAS unique as its shard gave it', async () => {
    const keys = Array.from({ length: 30 }, (_, i) => `cas:${i}`);
    await send(keys.map((key) => `set ${key} 0 0 2\r\nv${key.length % 10}\r\n`).join(''), keys.length);
    const direct = new Map<string, string>();
    for (const server of pool.servers) {
      const [reply] = await server.request(`gets ${keys.join(' ')}\r\n`);
      for (const match of reply!.matchAll(/^VALUE (\S+) 0 2 (\d+)\r\n/gm)) direct.set(match[1]!, match[2]!);
    }
    assert.equal(direct.size, keys.length);
    const [merged] = await send(`gets ${keys.join(' ')}\r\n`);
    const expected = keys.map((key) => `VALUE ${key} 0 2 ${direct.get(key)}\r\nv${key.length % 10}\r\n`).join('') + 'END\r\n';
    assert.equal(merged, expected);
  });

  test('a get of keys that all miss gives one END; a repeated key is answered at each of its positions', async () => {
    assert.deepEqual(await send('get miss:1 miss:2 miss:3 miss:4 miss:5 miss:6\r\n'), ['END\r\n']);
    await send('set dup:a 0 0 1\r\na\r\nset dup:b 0 0 1\r\nb\r\n', 2);
    assert.deepEqual(await send('get dup:a dup:b miss:1 dup:a\r\n'),
      ['VALUE dup:a 0 1\r\na\r\nVALUE dup:b 0 1\r\nb\r\nVALUE dup:a 0 1\r\na\r\nEND\r\n']);
  });

  test('version is answered by a server, as twemproxy does; quit closes after the replies owed', async () => {
    assert.match((await send('version\r\n'))[0]!, /^VERSION \d+\.\d+/);
    const fresh = await RawClient.connect(pool.port);
    try {
      fresh.write('set q:a 0 0 1\r\n1\r\nget q:a\r\nquit\r\nget q:a\r\n');
      assert.equal(await fresh.waitClosed(), true);
      assert.deepEqual(splitMemcacheReplies(fresh.bytes), ['STORED\r\n', 'VALUE q:a 0 1\r\n1\r\nEND\r\n']);
      assert.equal(fresh.data, 'STORED\r\nVALUE q:a 0 1\r\n1\r\nEND\r\n');
    } finally {
      fresh.close();
    }
  });

  test('a pipelined stream of 5,000 mixed commands (noreply ones included) is answered in order', async () => {
    const model = new Map<string, string>();
    const requests: string[] = [];
    const expected: string[] = [];
    for (let i = 0; i < 5000; i++) {
      const key = `mix:${i % 97}`;
      switch (i % 6) {
        case 0:
          requests.push(`set ${key} 0 0 ${String(i).length}\r\n${i}\r\n`);
          model.set(key, String(i));
          expected.push('STORED\r\n');
          break;
        case 1:
          requests.push(`set ${key} 0 0 ${String(i).length} noreply\r\n${i}\r\n`);
          model.set(key, String(i));
          break;
        case 2: {
          const other = `mix:${(i * 7) % 97}`;
          requests.push(`get ${key} ${other}\r\n`);
          expected.push([key, other].map((k) => (model.has(k) ? `VALUE ${k} 0 ${model.get(k)!.length}\r\n${model.get(k)}\r\n` : '')).join('') + 'END\r\n');
          break;
        }
        case 3:
          requests.push(`incr ${key} 1\r\n`);
          if (model.has(key)) model.set(key, String(Number(model.get(key)) + 1));
          expected.push(model.has(key) ? `${model.get(key)}\r\n` : 'NOT_FOUND\r\n');
          break;
        case 4:
          requests.push(i % 4 === 0 ? `delete ${key} noreply\r\n` : `delete ${key}\r\n`);
          if (i % 4 !== 0) expected.push(model.has(key) ? 'DELETED\r\n' : 'NOT_FOUND\r\n');
          model.delete(key);
          break;
        case 5:
          requests.push(`append ${key} 0 0 1\r\n7\r\n`);
          if (model.has(key)) model.set(key, `${model.get(key)}7`);
          expected.push(model.has(key) ? 'STORED\r\n' : 'NOT_STORED\r\n');
          break;
      }
    }
    const fresh = await RawClient.connect(pool.port);
    try {
      fresh.write(requests.join(''));
      const replies = await memcacheReplies(fresh, expected.length, 30000);
      assert.equal(replies.length, expected.length);
      for (let i = 0; i < expected.length; i++) {
        if (replies[i] !== expected[i]) assert.fail(`reply ${i} is ${JSON.stringify(replies[i])}, expected ${JSON.stringify(expected[i])}`);
      }
    } finally {
      fresh.close();
    }
  });

  test('every byte split of a pipelined stream gives the same replies', async () => {
    await send('delete split:a\r\ndelete split:b\r\n', 2);
    const pipeline = Buffer.from([
      'set split:a 1 0 5\r\nal\r\na\r\n', 'set split:b 2 0 4 noreply\r\nbeta\r\n', 'get split:a split:b split:none split:c\r\n',
      'incr split:n 1\r\n', 'delete split:b\r\n',
    ].join(''));
    const expected = ['STORED\r\n', 'VALUE split:a 1 5\r\nal\r\na\r\nVALUE split:b 2 4\r\nbeta\r\nEND\r\n', 'NOT_FOUND\r\n', 'DELETED\r\n'];
    for (let split = 1; split < pipeline.length; split++) {
      const fresh = await RawClient.connect(pool.port);
      try {
        fresh.write(pipeline.subarray(0, split));
        await new Promise((resolve) => setImmediate(resolve));
        fresh.write(pipeline.subarray(split));
        assert.deepEqual(await memcacheReplies(fresh, expected.length), expected, `split at byte ${split}`);
      } finally {
        fresh.close();
      }
      await send('delete split:b\r\n');
    }
  });

  test('stats show the memcached pool with twemproxy\'s layout', async () => {
    let stats: Record<string, unknown> = {};
    await waitFor('stats with requests', async () => {
      stats = await readStats(pool.proxy.statsPort);
      const mc = stats['mc'] as Record<string, Record<string, number>>;
      return Object.values(mc).some((server) => typeof server === 'object' && server['requests']! > 0);
    });
    const mc = stats['mc'] as Record<string, unknown>;
    for (const field of ['client_eof', 'client_err', 'client_connections', 'server_ejects', 'forward_error', 'fragments']) {
      assert.equal(typeof mc[field], 'number', field);
    }
    assert.deepEqual(Object.keys(mc).filter((key) => typeof mc[key] === 'object').sort(), ['m1', 'm2', 'm3']);
    assert.ok((mc['fragments'] as number) > 0, 'split gets count their fragments');
  });
});

describe('memcached pool: twemproxy\'s own memcached test cases, with python-memcached', () => {
  let pool: MemcachedPool;

  before(async () => {
    pool = await MemcachedPool.start(2);
  });

  after(async () => {
    await pool?.destroy();
  });

  test('set/get, incr, delete, set_multi/get_multi/delete_multi up to 895 keys, missing keys', async () => {
    const script = fileURLToPath(new URL('../../../test/clients/python-memcache-cases.py', import.meta.url));
    const result = await runCommand('/usr/bin/python3', [script, `127.0.0.1:${pool.port}`], { timeoutMs: 60000 });
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout.trim(), 'ok');
  });
});
