// Every signal twemproxy handles, sent to the real command: logged by name, and none of them
// opens Node's debugger or kills a proxy that twemproxy would keep running.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Nutcracker } from '../helpers/nutcracker.js';
import { RawClient } from '../helpers/raw-client.js';
import { waitFor } from '../helpers/ports.js';
import { processRunning } from '../helpers/process.js';

/** No server is needed: PING is answered by the proxy itself. */
const POOLS = { alpha: { servers: ['127.0.0.1:1:1'] } };

async function assertServes(proxy: Nutcracker, after: string): Promise<void> {
  const client = await RawClient.connect(proxy.port('alpha'));
  try {
    assert.equal(await client.command('PING'), '+PONG\r\n', `still serving after ${after}`);
  } finally {
    client.close();
  }
}

describe('signals', () => {
  it('SIGUSR1, SIGUSR2 and SIGALRM are logged by name and change nothing; SIGUSR1 opens no debugger', async () => {
    const proxy = await Nutcracker.start(POOLS, []);
    try {
      const cases: [NodeJS.Signals, RegExp][] = [
        ['SIGUSR1', /signal 10 \(SIGUSR1\) received\n/],
        ['SIGUSR2', /signal 12 \(SIGUSR2\) received\n/],
        ['SIGALRM', /signal 14 \(SIGALRM\) received, ignored\n/],
      ];
      for (const [signal, line] of cases) {
        proxy.signal(signal);
        await waitFor(`the ${signal} log line; output so far: ${proxy.output}`, () => line.test(proxy.output) || !processRunning(proxy.pid), 5000);
        assert.ok(processRunning(proxy.pid), `${signal} must not stop the proxy: ${proxy.output}`);
        await assertServes(proxy, signal);
      }
      assert.doesNotMatch(proxy.output, /Debugger listening|inspector/i, 'SIGUSR1 must not open the Node.js inspector');
    } finally {
      await proxy.destroy();
    }
  });

  it('SIGPIPE is ignored, as by twemproxy', async () => {
    const proxy = await Nutcracker.start(POOLS, []);
    try {
      proxy.signal('SIGPIPE');
      proxy.signal('SIGALRM');
      // Linux delivers pending signals lowest number first: once SIGALRM (14) is logged, SIGPIPE (13) was dealt with.
      await waitFor('the SIGALRM log line', () => /SIGALRM/.test(proxy.output) || !processRunning(proxy.pid), 5000);
      assert.ok(processRunning(proxy.pid), `SIGPIPE must not stop the proxy: ${proxy.output}`);
      await assertServes(proxy, 'SIGPIPE');
    } finally {
      await proxy.destroy();
    }
  });

  it('SIGSEGV ends the process by that signal (a core dump where the limit allows), as twemproxy does', async () => {
    const proxy = await Nutcracker.start(POOLS, []);
    try {
      const died = proxy.exited();
      proxy.signal('SIGSEGV');
      assert.deepEqual(await died, { code: null, signal: 'SIGSEGV' });
    } finally {
      await proxy.destroy();
    }
  });
});
