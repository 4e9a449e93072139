// What a client controls cannot forge log lines, inflate the log or error replies, or flood the
// log: unknown command names and echoed arguments are escaped, cut, and their log lines limited.
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { Nutcracker } from '../helpers/nutcracker.js';
import { RawClient, encode } from '../helpers/raw-client.js';
import { waitFor } from '../helpers/ports.js';

/** No server is needed: unknown commands and the proxy's own commands are answered locally. */
const POOLS = { alpha: { servers: ['127.0.0.1:1:1'] } };

/** The lines the proxy logged (to stderr); each starts with its "[date time]" stamp. */
function logLines(proxy: Nutcracker): string[] {
  return proxy.output.split('\n').filter((line) => line !== '');
}

describe('client-controlled text in logs and error replies', () => {
  let proxy: Nutcracker;
  beforeEach(async () => (proxy = await Nutcracker.start(POOLS)));
  afterEach(async () => proxy.destroy());

  it('an unknown command name with a newline forges no log line and no extra reply', async () => {
    const client = await RawClient.connect(proxy.port('alpha'));
    try {
      const forged = 'FOO\n[1999-01-01 00:00:00.000] FORGED\r\n+OK';
      const reply = await client.command(forged);
      assert.equal(reply, "-ERR unknown or unsupported command 'FOO\\n[1999-01-01 00:00:00.000] FORGED\\r\\n+OK': " +
        'nutcracker cannot route it to a shard\r\n');
      assert.equal(await client.command('PING'), '+PONG\r\n', 'the next reply is the next request\'s');
      await waitFor('the unsupported command log line', () => logLines(proxy).some((line) => line.includes('unsupported command')), 5000);
      const line = logLines(proxy).find((text) => text.includes('unsupported command'))!;
      assert.ok(line.includes("'FOO\\n[1999-01-01 00:00:00.000] FORGED\\r\\n+OK'"), line);
      for (const text of logLines(proxy)) {
        assert.doesNotMatch(text, /^\[1999-01-01/, 'no line forged');
        assert.match(text, /^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}\] /, `a line of the proxy's own: ${text}`);
      }
    } finally {
      client.close();
    }
  });

  it('an 8 MiB command name makes a short error reply and a short log line', async () => {
    const client = await RawClient.connect(proxy.port('alpha'));
    try {
      const name = 'X'.repeat(8 * 1024 * 1024);
      const reply = await client.command(name);
      assert.equal(reply, `-ERR unknown or unsupported command '${'X'.repeat(64)}... (8388608 bytes)': nutcracker cannot route it to a shard\r\n`);
      await waitFor('the log line', () => logLines(proxy).some((line) => line.includes('8388608 bytes')), 5000);
      for (const line of logLines(proxy)) assert.ok(line.length < 400, `a log line of ${line.length} characters`);
    } finally {
      client.close();
    }
  });

  it('20,000 unknown commands make a few log lines that count the rest', async () => {
    const client = await RawClient.connect(proxy.port('alpha'));
    try {
      const total = 20000;
      client.write(Buffer.concat(Array.from({ length: total }, (_, i) => encode(`NOSUCH${i % 10}`))));
      const replies = await client.replies(total, 20000);
      assert.equal(replies.length, total);
      let logged = 0;
      let counted = 0;
      await waitFor('every unknown command to be logged or counted', () => {
        const lines = logLines(proxy);
        logged = lines.filter((line) => line.includes('parsed unsupported command')).length;
        counted = lines.map((line) => /\.\.\. and (\d+) more unsupported commands in 1 s/.exec(line)).reduce((sum, m) => sum + (m ? Number(m[1]) : 0), 0);
        return logged + counted === total;
      }, 10000).catch(() => undefined);
      assert.equal(logged + counted, total, `${logged} lines and ${counted} counted`);
      assert.ok(logged <= 25, `at most one line per second of the flood, got ${logged}`);
    } finally {
      client.close();
    }
  });

  it('arguments the proxy quotes in its own errors (CLIENT, HELLO) are escaped, and SELECT quotes none', async () => {
    const client = await RawClient.connect(proxy.port('alpha'));
    try {
      // SELECT does not quote its argument: a database that is not a number is refused as Redis refuses it.
      assert.equal(await client.command('SELECT', '1\r\n+OK'), '-ERR value is not an integer or out of range\r\n');
      assert.equal(await client.command('CLIENT', 'KILL\r\n+OK'),
        '-ERR CLIENT KILL\\r\\n+OK is not supported by nutcracker (supported: SETNAME, GETNAME, SETINFO, ID)\r\n');
      assert.equal(await client.command('CLIENT', 'SETINFO', 'x\ny', 'v'), "-ERR Unrecognized option 'x\\ny'\r\n");
      assert.equal(await client.command('HELLO', '2', 'x\ny'), "-ERR Syntax error in HELLO option 'x\\ny'\r\n");
      assert.equal(await client.command('PING'), '+PONG\r\n');
    } finally {
      client.close();
    }
  });
});
