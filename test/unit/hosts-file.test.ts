import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HostsFile, parseHosts } from '../../src/discovery/hosts-file.js';

describe('hosts file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nutcracker-hosts-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('parses ip-name lines with aliases, comments, IPv6 and blank lines', () => {
    const entries = parseHosts([
      '# a comment',
      '127.0.0.1\tlocalhost',
      '::1     localhost ip6-localhost   # trailing comment',
      '',
      '10.0.0.7 Cache.Example.com. cache',
      'not-an-ip somename',
      '10.0.0.8 cache.example.com',
      '10.0.0.7 cache.example.com',
    ].join('\n'));
    assert.deepEqual(entries.get('localhost'), [{ ip: '127.0.0.1', family: 4 }, { ip: '::1', family: 6 }]);
    assert.deepEqual(entries.get('ip6-localhost'), [{ ip: '::1', family: 6 }]);
    assert.deepEqual(entries.get('cache.example.com'), [{ ip: '10.0.0.7', family: 4 }, { ip: '10.0.0.8', family: 4 }], 'no duplicates, file order');
    assert.deepEqual(entries.get('cache'), [{ ip: '10.0.0.7', family: 4 }]);
    assert.equal(entries.get('somename'), undefined);
  });

  it('looks a name up without case or trailing dot, and sees the file change', async () => {
    const path = join(dir, 'hosts');
    writeFileSync(path, '10.0.0.1 cache.test\n');
    const hosts = new HostsFile(path);
    assert.deepEqual(await hosts.addresses('CACHE.test.'), [{ ip: '10.0.0.1', family: 4 }]);
    writeFileSync(path, '10.0.0.2 cache.test\n');
    utimesSync(path, new Date(), new Date(Date.now() + 5000));
    assert.deepEqual(await hosts.addresses('cache.test'), [{ ip: '10.0.0.2', family: 4 }]);
    assert.deepEqual(await hosts.addresses('other.test'), []);
  });

  it('is empty when the file does not exist', async () => {
    assert.deepEqual(await new HostsFile(join(dir, 'missing')).addresses('localhost'), []);
  });
});
