// The standing guard against parser regressions: short seeded fuzz runs (the same inputs every
// time) of the RESP request and reply paths. `npm run fuzz` runs the same for longer, seed random.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_SEED, respReplyRun, respRequestRun } from '../fuzz/runs.js';
import { INCOMPLETE, INVALID } from '../fuzz/protocol.js';
import { RESP } from '../fuzz/resp.js';
import { FakeServer } from '../helpers/fake-server.js';
import { Nutcracker } from '../helpers/nutcracker.js';
import { RawClient, encode } from '../helpers/raw-client.js';

describe('seeded fuzzing', () => {
  test('mutated RESP requests from many connections: the proxy stays up, honest clients get every reply right', {
    todo: 'needs the fixes for "$-0 accepted and forwarded", "large pipeline reply stalls at 4 MB" and protocol errors that echo a raw CR/LF',
  }, async (t) => {
    const findings = await respRequestRun({ seed: DEFAULT_SEED, durationMs: 3000, count: 3000 });
    const summary = findings.summary('resp requests', DEFAULT_SEED, `npm run fuzz -- --seed ${DEFAULT_SEED} --run requests`);
    t.diagnostic(summary.split('\n')[0]!);
    assert.ok(findings.cases > 100 && findings.checked > 1000, `the run did too little: ${summary}`);
    assert.equal(findings.total, 0, summary);
  });

  test('damaged RESP replies from fake servers: every request gets one reply (an error is fine), never another\'s', {
    todo: 'needs the fix for "a malformed server reply leaves the head request without any reply", and a strict reply parser',
  }, async (t) => {
    const findings = await respReplyRun({ seed: DEFAULT_SEED, durationMs: 3000, count: 150 });
    const summary = findings.summary('resp replies', DEFAULT_SEED, `npm run fuzz -- --seed ${DEFAULT_SEED} --run replies`);
    t.diagnostic(summary.split('\n')[0]!);
    assert.ok(findings.cases > 0 && findings.checked > 500, `the run did too little: ${summary}`);
    assert.equal(findings.total, 0, summary);
  });
});

/** Splits bytes into strictly valid replies; throws on anything else. */
function strictReplies(bytes: Buffer): string[] {
  const reader = RESP.replyReader();
  const replies: string[] = [];
  for (let pos = 0; pos < bytes.length;) {
    const end = reader.end(bytes, pos);
    if (end < 0) throw new Error(`not a valid reply at byte ${pos}: ${JSON.stringify(bytes.toString('latin1', pos))}`);
    replies.push(bytes.toString('latin1', pos, end));
    pos = end;
  }
  return replies;
}

// Damage the fuzzer found the proxy forwarding as replies, each replayed on its own: the fake
// server answers GET dmg<i> with damage i, and every other request correctly.
const DAMAGED_REPLIES: [string, string][] = [
  ['a simple string with a bare CR, then what reads as another reply', '+A\rX:1\r\n'],
  ['a bulk string whose data is not followed by CRLF', '$1\r\nxY:2\r\n'],
  ['a bulk string of length -0', '$-0\r\n:3\r\n'],
  ['an integer with a NUL in it', ':\x003\r\n'],
];

describe('damaged server replies found by the fuzzer', () => {
  let fake: FakeServer;
  let proxy: Nutcracker;

  before(async () => {
    fake = await FakeServer.start({
      framing: () => RESP.requestReader(),
      answer: RESP.fakeAnswer,
      plan: () => (correct) => {
        const damage = /^\$\d+\r\nval:dmg(\d+)\r\n$/.exec(correct.toString('latin1'));
        return damage === null ? null : { bytes: Buffer.from(DAMAGED_REPLIES[Number(damage[1])]![1], 'latin1'), then: 'continue' };
      },
    });
    proxy = await Nutcracker.start({ alpha: { servers: [`${fake.address}:1 f1`], options: { timeout: 1000 } } });
  });

  after(async () => {
    await proxy?.destroy();
    await fake?.close();
  });

  DAMAGED_REPLIES.forEach(([name], i) => {
    test(`${name}: the damaged GET gets an error, the GETs after it their own reply or an error`, {
      todo: 'needs a strict reply parser, and a reply for the head request when a server reply is malformed',
    }, async () => {
      const client = await RawClient.connect(proxy.port('alpha'));
      try {
        client.write(Buffer.concat([encode('GET', `dmg${i}`), encode('GET', `b${i}`), encode('GET', `c${i}`)]));
        await client.until(() => strictRepliesOrNone(client.bytes) >= 3, 3000).catch(() => undefined);
        const replies = strictReplies(client.bytes);
        assert.equal(replies.length, 3, `three replies: ${JSON.stringify(replies)}`);
        assert.match(replies[0]!, /^-ERR /);
        for (const [index, key] of [[1, `b${i}`], [2, `c${i}`]] as const) {
          const own = `$${key.length + 4}\r\nval:${key}\r\n`;
          assert.ok(replies[index]!.startsWith('-ERR ') || replies[index] === own, `GET ${key} got ${JSON.stringify(replies[index])}`);
        }
      } finally {
        client.close();
      }
    });
  });
});

/** How many strictly valid replies `bytes` starts with (Infinity once something invalid came: no need to wait). */
function strictRepliesOrNone(bytes: Buffer): number {
  const reader = RESP.replyReader();
  let count = 0;
  for (let pos = 0; pos < bytes.length; count++) {
    const end = reader.end(bytes, pos);
    if (end === INCOMPLETE) return count;
    if (end === INVALID) return Infinity;
    pos = end;
  }
  return count;
}
