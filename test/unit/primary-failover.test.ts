import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { HOLD_MS, PrimaryFailover, type FailoverOwner } from '../../src/backend/primary-failover.js';
import type { ForwardedRequest } from '../../src/backend/server-connection.js';
import { FakeClock } from '../helpers/fake-clock.js';

class FakeRequest implements ForwardedRequest {
  deadline = 0;
  readonly expectsReply = true;
  reply: string | null = null;

  constructor(readonly name: string) {}

  get data(): Buffer {
    return Buffer.from(this.name);
  }

  complete(reply: Buffer): void {
    this.reply = reply.toString();
  }
}

class Owner implements FailoverOwner {
  lookups = 0;
  settling = false;
  readonly sent: string[] = [];
  readonly lines: string[] = [];

  resolveNow(): void {
    this.lookups++;
  }

  resend(key: number, resp3: boolean, request: ForwardedRequest): void {
    this.sent.push(`${(request as FakeRequest).name}@${key}${resp3 ? '/3' : ''}`);
  }

  report(level: string, message: string): void {
    this.lines.push(`${level}: ${message}`);
  }
}

function failover(): { owner: Owner; failover: PrimaryFailover; clock: FakeClock } {
  const clock = new FakeClock();
  const owner = new Owner();
  return { owner, failover: new PrimaryFailover(owner, clock), clock };
}

describe('primary failover', () => {
  it('holds refused and new requests from the first -READONLY, looks the name up every second, and sends them on once it moved', async () => {
    const { owner, failover: f, clock } = failover();
    assert.equal(f.holding, false);
    assert.equal(f.replied(1, false, new FakeRequest('set-a'), '10.0.0.1:6379', true), true);
    assert.equal(f.holding, true);
    assert.equal(owner.lookups, 1, 'looked up at once');
    assert.match(owner.lines[0]!, /^notice: address 10\.0\.0\.1:6379 answered -READONLY: it is a replica now/);
    f.sinkFor(7, false).send(new FakeRequest('get-c'));
    f.replied(1, false, new FakeRequest('set-b'), '10.0.0.1:6379', true);
    f.sinkFor(8, true).send(new FakeRequest('hello-d'));
    await clock.advance(2_500);
    assert.equal(owner.lookups, 3, 'and every second while waiting');
    assert.deepEqual(owner.sent, [], 'nothing sent before the name moves');
    f.addressesChanged();
    assert.deepEqual(owner.sent, ['set-a@1', 'set-b@1', 'get-c@7', 'hello-d@8/3'], 'refused first (in their connection\'s order), then the new ones');
    assert.equal(f.holding, false);
    assert.match(owner.lines.at(-1)!, /the name moved: 4 request\(s\) that waited go to the new primary/);
    await clock.advance(10_000);
    assert.equal(owner.lookups, 3, 'no more lookups once it moved');
    assert.equal(clock.timerCount, 0);
  });

  it('holds a reply that follows a refusal only while holding: a read does not start a hold', () => {
    const { owner, failover: f } = failover();
    assert.equal(f.replied(0, false, new FakeRequest('get-0'), 'a', false), false, 'not holding: the read is answered');
    f.replied(0, false, new FakeRequest('set-1'), 'a', true);
    assert.equal(f.replied(0, false, new FakeRequest('get-1'), 'a', false), true, 'the read after the refused write waits too');
    f.addressesChanged();
    assert.deepEqual(owner.sent, ['set-1@0', 'get-1@0'], 'sent again after the write');
  });

  it('waits for the old address to finish its requests in flight before sending, so that their refusals keep their place', () => {
    const { owner, failover: f } = failover();
    f.replied(0, false, new FakeRequest('w1'), 'a', true);
    f.sinkFor(0, false).send(new FakeRequest('w3'));
    owner.settling = true;
    f.addressesChanged();
    assert.deepEqual(owner.sent, []);
    f.replied(0, false, new FakeRequest('w2'), 'a', true);
    owner.settling = false;
    f.addressDrained();
    assert.deepEqual(owner.sent, ['w1@0', 'w2@0', 'w3@0']);
  });

  it(`after ${HOLD_MS} ms without a new address, sends the requests where the name points and lets refusals through until it moves`, async () => {
    const { owner, failover: f, clock } = failover();
    f.replied(0, false, new FakeRequest('w1'), 'a', true);
    await clock.advance(HOLD_MS - 1);
    assert.deepEqual(owner.sent, []);
    await clock.advance(1);
    assert.deepEqual(owner.sent, ['w1@0']);
    assert.match(owner.lines.at(-1)!, /^warn: no new primary within 5000 ms/);
    assert.equal(f.replied(0, false, new FakeRequest('w2'), 'a', true), false, 'the client gets this refusal');
    assert.equal(f.holding, false);
    f.addressesChanged();
    assert.equal(f.replied(0, false, new FakeRequest('w3'), 'b', true), true, 'held again after the name moved');
  });

  it('gives the waiting requests an error at shutdown', () => {
    const { failover: f, clock } = failover();
    const refused = new FakeRequest('w1');
    const waiting = new FakeRequest('w2');
    f.replied(0, false, refused, 'a', true);
    f.sinkFor(3, false).send(waiting);
    f.abort(Buffer.from('-ERR Connection closed by the proxy\r\n'));
    assert.deepEqual([refused.reply, waiting.reply], ['-ERR Connection closed by the proxy\r\n', '-ERR Connection closed by the proxy\r\n']);
    assert.equal(clock.timerCount, 0);
  });
});

describe('replica refusals as the codecs tell them', () => {
  it('redis: -READONLY anywhere in the buffer, not another error nor a value that says READONLY', async () => {
    const { redisCodec } = await import('../../src/protocol/redis/codec.js');
    const buf = Buffer.from("+OK\r\n-READONLY You can't write against a read only replica.\r\n$9\r\n-READONLY\r\n-ERR READONLY\r\n");
    const replies: [number, number][] = [[0, 5], [5, 61], [61, 76], [76, 91]];
    assert.deepEqual(replies.map(([start, end]) => redisCodec.isReplicaRefusal(buf, start, end)), [false, true, false, false]);
  });

  it('memcached has none', async () => {
    const { memcacheCodec } = await import('../../src/protocol/memcache/codec.js');
    const buf = Buffer.from('-READONLY x\r\n');
    assert.equal(memcacheCodec.isReplicaRefusal(buf, 0, buf.length), false);
  });
});
