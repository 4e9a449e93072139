// Client bytes quoted in log lines and error replies: printable, one line, bounded.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CLIENT_TEXT_MAX_BYTES, clientText } from '../../src/log/client-text.js';

describe('clientText', () => {
  it('keeps printable ASCII as it is', () => {
    assert.equal(clientText(Buffer.from('FOOBAR x-1_{tag}')), 'FOOBAR x-1_{tag}');
  });

  it('escapes line breaks, tabs, quotes, backslashes and every byte outside printable ASCII', () => {
    const bytes = Buffer.from([0x41, 0x0d, 0x0a, 0x09, 0x27, 0x5c, 0x00, 0x1b, 0x7f, 0xd0, 0xba]);
    assert.equal(clientText(bytes), "A\\r\\n\\t\\'\\\\\\x00\\x1b\\x7f\\xd0\\xba");
  });

  it('quotes only the given range', () => {
    assert.equal(clientText(Buffer.from('*1\r\n$3\r\nFOO\r\n'), 8, 11), 'FOO');
  });

  it('cuts after the first bytes and says how long the whole was', () => {
    const big = Buffer.alloc(60 * 1024 * 1024, 0x41);
    const text = clientText(big);
    assert.equal(text, `${'A'.repeat(CLIENT_TEXT_MAX_BYTES)}... (${big.length} bytes)`);
    assert.equal(clientText(Buffer.from('abcdef'), 0, 6, 3), 'abc... (6 bytes)');
    assert.equal(clientText(Buffer.from('abc'), 0, 3, 3), 'abc', 'exactly the limit is not cut');
  });
});
