// The nutcracker command as an operator runs it: flags, -t, -D, process title, daemon mode,
// pid and log files, signals, graceful shutdown, and unix-socket / IPv6 listeners.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Nutcracker, NUTCRACKER_MAIN, poolsYaml, readStats } from '../helpers/nutcracker.js';
import { RedisServer } from '../helpers/redis-server.js';
import { RawClient } from '../helpers/raw-client.js';
import { freePort, waitFor } from '../helpers/ports.js';
import {
  CliProcess, killPid, pgrep, processRunning, psArgs, readIfExists, redisCli, runCommand, runNutcracker,
} from '../helpers/process.js';

const PROJECT_ROOT = resolve(dirname(NUTCRACKER_MAIN), '../../..');
const VERSION = (JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')) as { version: string }).version;

/** Every option of twemproxy's command line, short and long, as `-h` must list them. */
const ALL_OPTIONS: [string, string][] = [
  ['-h', '--help'], ['-V', '--version'], ['-t', '--test-conf'], ['-d', '--daemonize'], ['-D', '--describe-stats'],
  ['-v', '--verbose'], ['-o', '--output'], ['-c', '--conf-file'], ['-s', '--stats-port'], ['-a', '--stats-addr'],
  ['-i', '--stats-interval'], ['-p', '--pid-file'], ['-m', '--mbuf-size'],
];

const POOL_FIELDS = ['client_eof', 'client_err', 'client_connections', 'server_ejects', 'forward_error', 'fragments'];
const SERVER_FIELDS = ['server_eof', 'server_err', 'server_timedout', 'server_connections', 'server_ejected_at', 'requests',
  'request_bytes', 'responses', 'response_bytes', 'in_queue', 'in_queue_bytes', 'out_queue', 'out_queue_bytes'];

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'nutcracker-cli-'));
}

/** Waits until the log file has a line matching `pattern` and returns the whole file. */
async function waitForLog(file: string, pattern: RegExp, what: string): Promise<string> {
  await waitFor(`${what} in ${file}; it has: ${readIfExists(file).slice(-500)}`, () => pattern.test(readIfExists(file)), 5000);
  return readIfExists(file);
}

describe('nutcracker command line: information flags', () => {
  it('-V and --version print "This is nutcracker-<version>" and exit 0', async () => {
    for (const flag of ['-V', '--version']) {
      const result = await runNutcracker([flag]);
      assert.equal(result.code, 0, `${flag}: ${result.stderr}`);
      assert.equal(result.stderr, `This is nutcracker-${VERSION}\n`, `${flag} prints on stderr, as twemproxy does`);
    }
  });

  it('runs as an executable through its own first line (env -S node with its Node.js flags), as npm start and an installed nutcracker do', async () => {
    const result = await runCommand(NUTCRACKER_MAIN, ['-V']);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stderr, `This is nutcracker-${VERSION}\n`);
  });

  it('-h, --help and -? print the usage with every option and exit 0', async () => {
    for (const flag of ['-h', '--help', '-?']) {
      const result = await runNutcracker([flag]);
      assert.equal(result.code, 0, `${flag}: ${result.stderr}`);
      assert.match(result.stderr, /Usage: nutcracker \[-\?hVdDt\]/, flag);
      for (const [short, long] of ALL_OPTIONS) {
        assert.ok(result.stderr.includes(`${short}, ${long}`), `${flag} usage lists ${short}, ${long}:\n${result.stderr}`);
      }
      assert.match(result.stderr, /default: 22222/);
      assert.match(result.stderr, /default: conf\/nutcracker\.yml/);
    }
  });

  it('refuses a bad option with a non-zero exit and a message naming the option', async () => {
    const cases: [string[], RegExp][] = [
      [['-x'], /unknown option -x/],
      [['--bogus'], /unknown option --bogus/],
      [['-v', '99'], /-v\/--verbose.*'99'/],
      [['-s', 'notanumber'], /-s\/--stats-port.*'notanumber'/],
      [['-s', '70000'], /-s\/--stats-port.*'70000'/],
      [['-i', '-5'], /-i\/--stats-interval/],
      [['-m', '1'], /-m\/--mbuf-size.*'1'/],
      [['-c'], /-c\/--conf-file needs a value/],
      [['conf/nutcracker.yml'], /unexpected argument 'conf\/nutcracker\.yml'/],
    ];
    for (const [args, message] of cases) {
      const result = await runNutcracker(args);
      assert.notEqual(result.code, 0, `${args.join(' ')} must fail`);
      assert.match(result.stderr, message, `${args.join(' ')}: ${result.stderr}`);
      assert.equal(result.stdout, '', `${args.join(' ')} prints nothing on stdout`);
    }
  });

  it('-D describes every pool and server stats field', async () => {
    const result = await runNutcracker(['-D']);
    assert.equal(result.code, 0, result.stderr);
    const lines = result.stderr.split('\n');
    for (const field of [...POOL_FIELDS, ...SERVER_FIELDS]) {
      const line = lines.find((text) => text.trim().split(/\s+/)[0] === field);
      assert.ok(line !== undefined, `-D describes ${field}:\n${result.stderr}`);
      assert.match(line, new RegExp(`^\\s+${field}\\s+\\S.*`), `${field} has a description`);
    }
    assert.ok(lines.indexOf(lines.find((text) => /pool stats/.test(text))!) <
      lines.indexOf(lines.find((text) => /server stats/.test(text))!), 'pool stats come before server stats');
  });
});

describe('nutcracker -t (test configuration)', () => {
  let dir: string;
  before(() => (dir = tempDir()));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('says "syntax is ok" and exits 0 for a good file, with -t or --test-conf', async () => {
    const file = join(dir, 'good.yml');
    writeFileSync(file, poolsYaml({ alpha: { listen: '127.0.0.1:22121', servers: ['127.0.0.1:6379:1 one', '127.0.0.1:6380:1 two'] } }));
    for (const args of [['-t', '-c', file], ['--test-conf', `--conf-file=${file}`], ['-tc', file]]) {
      const result = await runNutcracker(args);
      assert.equal(result.code, 0, `${args.join(' ')}: ${result.stderr}`);
      assert.match(result.stderr, /syntax is ok/);
      assert.ok(result.stderr.includes(file), 'names the file');
    }
  });

  it('lists every problem with file:line and suggests auto_eject_hosts for a misspelt key', async () => {
    const file = join(dir, 'bad.yml');
    writeFileSync(file, [
      'alpha:',                                 // 1
      '  listen: 127.0.0.1:22121',              // 2
      '  hash: fnv1a_65',                       // 3
      '  distribution: ketama',                 // 4
      '  auto_reject_hosts: true',              // 5
      '  redis: true',                          // 6
      '  servers:',                             // 7
      '   - 127.0.0.1:6379:1',                  // 8
      '',
    ].join('\n'));
    const result = await runNutcracker(['-t', '-c', file]);
    assert.notEqual(result.code, 0);
    const problems = result.stderr.split('\n').filter((line) => line.startsWith(`${file}:`));
    assert.equal(problems.length, 2, `two problems listed:\n${result.stderr}`);
    assert.match(problems[0]!, new RegExp(`^${file}:3:.*hash.*fnv1a_65`));
    assert.match(problems[1]!, new RegExp(`^${file}:5:.*auto_reject_hosts.*auto_eject_hosts`));
    assert.match(result.stderr, /syntax is invalid/);
    assert.doesNotMatch(result.stderr, /syntax is ok/);
  });

  it('checks the connection keys and cache_mode: the good ones pass, each bad one is named with its line and how to fix it', async () => {
    const good = join(dir, 'pooling-good.yml');
    writeFileSync(good, ['alpha:', '  listen: 127.0.0.1:22121', '  redis: true', '  cache_mode: true', '  server_connections: 4',
      '  connection_pooling: true', '  connection_warming: 2', '  connection_idle_timeout: 60', '  servers:', '   - cache.example.com:6379:1', ''].join('\n'));
    const accepted = await runNutcracker(['-t', '-c', good]);
    assert.equal(accepted.code, 0, accepted.stderr);
    const bad = join(dir, 'pooling-bad.yml');
    writeFileSync(bad, ['alpha:', '  listen: 127.0.0.1:22121', '  redis: true', '  cache_mode: yes', '  server_connections: 2',
      '  connection_warming: 3', '  connection_idle_timeout: 60', '  servers:', '   - cache.example.com:6379:1', ''].join('\n'));
    const refused = await runNutcracker(['-t', '-c', bad]);
    assert.notEqual(refused.code, 0);
    const problems = refused.stderr.split('\n').filter((line) => line.startsWith(`${bad}:`));
    assert.equal(problems.length, 3, refused.stderr);
    assert.match(problems[0]!, new RegExp(`^${bad}:4:.*cache_mode.*must be true or false`));
    assert.match(problems[1]!, new RegExp(`^${bad}:6:.*connection_warming.*more than server_connections \\(2\\)`));
    assert.match(problems[2]!, new RegExp(`^${bad}:7:.*connection_idle_timeout.*add 'connection_pooling: true'`));
  });

  it('checks every DNS discovery key: the good ones pass, each bad one is named with its line', async () => {
    const good = join(dir, 'dns-good.yml');
    writeFileSync(good, ['global:', '  dns_servers: [10.0.0.2, "10.0.0.3:5353"]', 'pools:', '  alpha:', '    listen: 127.0.0.1:22121',
      '    dns_resolve_interval: 5', '    dns_failure_threshold: 2', '    dns_cache_negative_ttl: 3', '    dns_expiration_minutes: 0.5',
      '    dynamic_endpoint: true', '    dns_servers: ["[fd00::2]:53"]', '    servers:', '     - cache.example.com:6379:1', ''].join('\n'));
    const accepted = await runNutcracker(['-t', '-c', good]);
    assert.equal(accepted.code, 0, accepted.stderr);
    const bad = join(dir, 'dns-bad.yml');
    writeFileSync(bad, ['alpha:', '  listen: 127.0.0.1:22121', '  dns_expiration_minutes: -1', '  dynamic_endpoint: sometimes',
      '  dns_servers: [dns.example.com]', '  servers:', '   - cache.example.com:6379:1', ''].join('\n'));
    const refused = await runNutcracker(['-t', '-c', bad]);
    assert.notEqual(refused.code, 0);
    const problems = refused.stderr.split('\n').filter((line) => line.startsWith(`${bad}:`));
    assert.equal(problems.length, 3, refused.stderr);
    assert.match(problems[0]!, new RegExp(`^${bad}:3:.*dns_expiration_minutes.*above 0`));
    assert.match(problems[1]!, new RegExp(`^${bad}:4:.*dynamic_endpoint.*auto, true or false`));
    assert.match(problems[2]!, new RegExp(`^${bad}:5:.*invalid nameserver 'dns\\.example\\.com'`));
  });

  it('names a missing file', async () => {
    const file = join(dir, 'missing.yml');
    const result = await runNutcracker(['-t', '-c', file]);
    assert.notEqual(result.code, 0);
    assert.ok(result.stderr.includes(file), result.stderr);
  });

  it('accepts the default configuration npm start uses (conf/nutcracker.yml), named or by default', async () => {
    for (const args of [['-t', '-c', 'conf/nutcracker.yml'], ['-t']]) {
      const result = await runNutcracker(args, { cwd: PROJECT_ROOT });
      assert.equal(result.code, 0, `${args.join(' ')}: ${result.stderr}`);
      assert.match(result.stderr, /configuration file 'conf\/nutcracker\.yml' syntax is ok/);
    }
  });

  it('accepts every example file in conf/', async () => {
    const files = readdirSync(join(PROJECT_ROOT, 'conf')).filter((name) => name.endsWith('.yml'));
    assert.ok(files.length >= 3, `conf/ has the example files: ${files.join(', ')}`);
    for (const name of files) {
      const result = await runNutcracker(['-t', '-c', join('conf', name)], { cwd: PROJECT_ROOT });
      assert.equal(result.code, 0, `conf/${name}: ${result.stderr}`);
    }
  });
});

describe('nutcracker running in the foreground', () => {
  let redis: RedisServer;
  before(async () => (redis = await RedisServer.start()));
  after(async () => redis.destroy());

  it('shows "nutcracker <args>" as its process title (pgrep -f) and "nutcracker" as its name (pgrep -x)', async () => {
    const proxy = await Nutcracker.start({ alpha: { servers: [`${redis.address}:1`] } });
    try {
      const pids = await pgrep(`nutcracker -c ${proxy.confFile}`);
      assert.deepEqual(pids, [proxy.pid]);
      const args = await psArgs(proxy.pid);
      assert.ok(args.startsWith(`nutcracker -c ${proxy.confFile} -s ${proxy.statsPort} `), `ps shows: ${args}`);
      // The short name, for ps -C, pgrep -x, pidof and killall.
      assert.equal((await runCommand('ps', ['-o', 'comm=', '-p', String(proxy.pid)])).stdout.trim(), 'nutcracker');
      const exact = (await runCommand('pgrep', ['-x', 'nutcracker'])).stdout.split('\n').map(Number);
      assert.ok(exact.includes(proxy.pid), `pgrep -x nutcracker finds ${proxy.pid}: ${exact.join(' ')}`);
    } finally {
      await proxy.destroy();
    }
  });

  it('exits non-zero naming the address when its listen port is taken', async () => {
    const taken = await Nutcracker.start({ alpha: { servers: [`${redis.address}:1`] } });
    const dir = tempDir();
    try {
      const conf = join(dir, 'n.yml');
      const listen = `127.0.0.1:${taken.port('alpha')}`;
      writeFileSync(conf, poolsYaml({ alpha: { listen, servers: [`${redis.address}:1`] } }));
      const result = await runNutcracker(['-c', conf, '-s', String(await freePort()), '-a', '127.0.0.1']);
      assert.notEqual(result.code, 0);
      assert.ok(result.stderr.includes(listen), result.stderr);
    } finally {
      await taken.destroy();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('exits non-zero naming the file when the log file or the pid file cannot be written (also with -d)', async () => {
    const dir = tempDir();
    try {
      const conf = join(dir, 'n.yml');
      writeFileSync(conf, poolsYaml({ alpha: { listen: `127.0.0.1:${await freePort()}`, servers: [`${redis.address}:1`] } }));
      const missing = join(dir, 'no-such-dir');
      const cases: [string[], string][] = [
        [['-o', join(missing, 'n.log')], join(missing, 'n.log')],
        [['-p', join(missing, 'n.pid')], join(missing, 'n.pid')],
        [['-d', '-o', join(missing, 'n.log')], join(missing, 'n.log')],
        [['-d', '-p', join(missing, 'n.pid'), '-o', join(dir, 'd.log')], join(missing, 'n.pid')],
      ];
      for (const [extra, file] of cases) {
        const result = await runNutcracker(['-c', conf, '-s', String(await freePort()), '-a', '127.0.0.1', ...extra], { timeoutMs: 20000 });
        assert.notEqual(result.code, 0, extra.join(' '));
        const lines = result.stderr.split('\n').filter((line) => line.includes(file));
        assert.equal(lines.length, 1, `${extra.join(' ')}: one line names ${file}: ${result.stderr}`);
      }
      // A background process that failed exits right after telling the command that started it.
      await waitFor('nothing left running', async () => (await pgrep(`nutcracker -c ${conf}`)).length === 0, 5000);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('logs SIGTTIN/SIGTTOU with the new level, reopens its log file on SIGHUP, and exits 0 on SIGTERM', async () => {
    const dir = tempDir();
    const logFile = join(dir, 'nutcracker.log');
    const proxy = await Nutcracker.start({ alpha: { servers: [`${redis.address}:1`] } }, ['-o', logFile]);
    try {
      await waitForLog(logFile, /started on pid/, 'the start line');

      proxy.signal('SIGTTIN');
      await waitForLog(logFile, /signal 21 \(SIGTTIN\) received, up logging level to 6/, 'SIGTTIN');
      proxy.signal('SIGTTOU');
      await waitForLog(logFile, /signal 22 \(SIGTTOU\) received, down logging level to 5/, 'SIGTTOU');

      // Log rotation: move the file away, SIGHUP, and the old name is a new file that gets new lines.
      const rotated = `${logFile}.1`;
      renameSync(logFile, rotated);
      proxy.signal('SIGHUP');
      await waitFor('a new log file after SIGHUP', () => existsSync(logFile), 5000);
      assert.match(readFileSync(rotated, 'utf8'), /signal 1 \(SIGHUP\) received/);
      proxy.signal('SIGTTIN');
      await waitForLog(logFile, /signal 21 \(SIGTTIN\) received, up logging level to 6/, 'SIGTTIN after reopening');
      assert.doesNotMatch(readFileSync(rotated, 'utf8'), /up logging level to 6[\s\S]*up logging level to 6/,
        'the line after reopening went to the new file only');

      assert.equal(await proxy.stop(), 0, 'SIGTERM exits 0');
      assert.match(readFileSync(logFile, 'utf8'), /signal 15 \(SIGTERM\) received, exiting/);
      assert.equal(proxy.output, '', 'nothing on stdout/stderr with -o');
    } finally {
      await proxy.destroy();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('SIGINT exits 0 too', async () => {
    const proxy = await Nutcracker.start({ alpha: { servers: [`${redis.address}:1`] } });
    try {
      proxy.signal('SIGINT');
      await waitFor('nutcracker to exit on SIGINT', () => !processRunning(proxy.pid), 10000);
      assert.equal(await proxy.stop(), 0);
      assert.match(proxy.output, /signal 2 \(SIGINT\) received, exiting/);
    } finally {
      await proxy.destroy();
    }
  });

  it('on SIGTERM stops accepting but finishes the request in flight, then exits 0', async () => {
    const proxy = await Nutcracker.start({ alpha: { servers: [`${redis.address}:1`] } });
    const client = await RawClient.connect(proxy.port('alpha'));
    try {
      // A script that keeps redis busy for 700 ms (TIME is allowed in scripts since Redis 5).
      const script = "local t=redis.call('TIME') local e=t[1]*1000000+t[2]+700000 " +
        "repeat t=redis.call('TIME') until t[1]*1000000+t[2]>=e return 'done'";
      const reply = client.command('EVAL', script, '1', 'slow-key');
      reply.catch(() => undefined);
      // The request has reached the server once the stats count it (the interval is 100 ms).
      await waitFor('the request to be forwarded', async () => {
        const stats = await readStats(proxy.statsPort);
        const server = (stats['alpha'] as Record<string, Record<string, number>>)[redis.address]!;
        return server.requests === 1;
      }, 5000);
      const code = proxy.stop();
      await waitFor('the listener to close', () => new Promise<boolean>((done) => {
        const socket = connect({ port: proxy.port('alpha'), host: '127.0.0.1' }, () => {
          socket.destroy();
          done(false);
        });
        socket.on('error', () => done(true));
      }), 5000);
      assert.equal(await reply, '$4\r\ndone\r\n', 'the reply in flight arrives');
      assert.equal(await code, 0);
      assert.equal(await client.waitClosed(5000), true, 'then the client connection is closed');
      assert.match(proxy.output, /SIGTERM/);
    } finally {
      client.close();
      await proxy.destroy();
    }
  });
});

describe('nutcracker -d (daemon)', () => {
  let redis: RedisServer;
  before(async () => (redis = await RedisServer.start()));
  after(async () => redis.destroy());

  it('returns at once, releases the caller\'s pipes, writes the pid file, serves, and stops on SIGTERM', async () => {
    const dir = tempDir();
    const conf = join(dir, 'nutcracker.yml');
    const pidFile = join(dir, 'nutcracker.pid');
    const logFile = join(dir, 'nutcracker.log');
    const port = await freePort();
    const statsPort = await freePort();
    writeFileSync(conf, poolsYaml({ alpha: { listen: `127.0.0.1:${port}`, servers: [`${redis.address}:1`] } }));
    let daemonPid = -1;
    try {
      // Spawned with stdout/stderr pipes, like a shell `$(nutcracker -d ...)` or an init script
      // capturing the output: the pipes must reach EOF when the command returns.
      const command = spawn(process.execPath, [NUTCRACKER_MAIN, '-d', '-c', conf, '-p', pidFile, '-o', logFile,
        '-s', String(statsPort), '-a', '127.0.0.1'], { stdio: ['ignore', 'pipe', 'pipe'] });
      let output = '';
      command.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
      command.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
      const closed = new Promise<number | null>((resolve) => command.once('close', (code) => resolve(code)));
      let timer: NodeJS.Timeout | undefined;
      const code = await Promise.race([closed, new Promise<'open'>((resolve) => (timer = setTimeout(() => resolve('open'), 15000)))]);
      clearTimeout(timer);
      if (code === 'open') command.kill('SIGKILL');
      assert.notEqual(code, 'open', 'the command returned and its stdout/stderr reached EOF');
      assert.equal(code, 0, output);
      assert.equal(output, '');

      assert.ok(existsSync(pidFile), 'the pid file exists when the command returns');
      daemonPid = Number(readFileSync(pidFile, 'utf8').trim());
      assert.ok(Number.isInteger(daemonPid) && daemonPid > 0, `pid file holds a pid: ${readFileSync(pidFile, 'utf8')}`);
      assert.notEqual(daemonPid, command.pid, 'the daemon is another process');
      assert.equal(processRunning(daemonPid), true, 'the daemon keeps running');
      assert.deepEqual(await pgrep(`nutcracker -d -c ${conf}`), [daemonPid]);
      assert.ok((await psArgs(daemonPid)).startsWith(`nutcracker -d -c ${conf} `));

      assert.equal(await redisCli(['-h', '127.0.0.1', '-p', String(port), 'PING']), 'PONG');
      assert.equal(await redisCli(['-h', '127.0.0.1', '-p', String(port), 'SET', 'daemon-key', 'v']), 'OK');
      assert.equal(await redisCli(['-h', '127.0.0.1', '-p', String(port), 'GET', 'daemon-key']), 'v');
      assert.match(readFileSync(logFile, 'utf8'), new RegExp(`started on pid ${daemonPid}`));

      process.kill(daemonPid, 'SIGTERM');
      await waitFor('the daemon to exit', () => !processRunning(daemonPid), 10000);
      assert.equal(existsSync(pidFile), false, 'the pid file is removed');
      assert.match(readFileSync(logFile, 'utf8'), /signal 15 \(SIGTERM\) received, exiting/);
    } finally {
      if (daemonPid > 0) await killPid(daemonPid);
      for (const pid of await pgrep(`nutcracker -d -c ${conf}`)) await killPid(pid);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('exits non-zero with the reason when the daemon cannot start (port taken)', async () => {
    const dir = tempDir();
    const conf = join(dir, 'nutcracker.yml');
    const pidFile = join(dir, 'nutcracker.pid');
    const blocker = await Nutcracker.start({ alpha: { servers: [`${redis.address}:1`] } });
    try {
      const listen = `127.0.0.1:${blocker.port('alpha')}`;
      writeFileSync(conf, poolsYaml({ alpha: { listen, servers: [`${redis.address}:1`] } }));
      const result = await runNutcracker(['-d', '-c', conf, '-p', pidFile, '-s', String(await freePort()), '-a', '127.0.0.1'],
        { timeoutMs: 20000 });
      assert.notEqual(result.code, 0);
      assert.ok(result.stderr.includes(listen), `names the address: ${result.stderr}`);
      assert.equal(existsSync(pidFile), false, 'no pid file is left');
      await waitFor('no daemon left', async () => (await pgrep(`nutcracker -d -c ${conf}`)).length === 0, 5000);
    } finally {
      for (const pid of await pgrep(`nutcracker -d -c ${conf}`)) await killPid(pid);
      await blocker.destroy();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('listening on a unix socket and on IPv6', () => {
  let redis: RedisServer;
  before(async () => (redis = await RedisServer.start()));
  after(async () => redis.destroy());

  it('serves redis-cli -s on "listen: /path/n.sock 0600" with that file mode', async () => {
    const dir = tempDir();
    const socketPath = join(dir, 'n.sock');
    const conf = join(dir, 'nutcracker.yml');
    writeFileSync(conf, poolsYaml({ alpha: { listen: `${socketPath} 0600`, servers: [`${redis.address}:1`] } }));
    const statsPort = await freePort();
    let cli: CliProcess | null = null;
    try {
      cli = await CliProcess.start(['-c', conf, '-s', String(statsPort), '-a', '127.0.0.1'],
        async () => existsSync(socketPath) && (await redisCli(['-s', socketPath, 'PING'])) === 'PONG');
      assert.equal(statSync(socketPath).mode & 0o777, 0o600);
      assert.equal(await redisCli(['-s', socketPath, 'SET', 'unix-key', 'unix-value']), 'OK');
      assert.equal(await redisCli(['-s', socketPath, 'GET', 'unix-key']), 'unix-value');
      assert.equal(await redis.command('GET', 'unix-key'), '$10\r\nunix-value\r\n', 'the value reached the backend');
    } finally {
      await cli?.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('serves redis-cli on "listen: [::1]:port" (and stats on -a ::1)', async (t) => {
    let port: number;
    let statsPort: number;
    try {
      port = await freePort('::1');
      statsPort = await freePort('::1');
    } catch {
      t.skip('::1 is not available on this machine');
      return;
    }
    const dir = tempDir();
    const conf = join(dir, 'nutcracker.yml');
    writeFileSync(conf, poolsYaml({ alpha: { listen: `"[::1]:${port}"`, servers: [`${redis.address}:1`] } }));
    let cli: CliProcess | null = null;
    try {
      cli = await CliProcess.start(['-c', conf, '-s', String(statsPort), '-a', '::1'],
        async () => (await redisCli(['-h', '::1', '-p', String(port), 'PING'])) === 'PONG');
      assert.equal(await redisCli(['-h', '::1', '-p', String(port), 'SET', 'v6-key', 'v6']), 'OK');
      assert.equal(await redisCli(['-h', '::1', '-p', String(port), 'GET', 'v6-key']), 'v6');
      const response = await fetch(`http://[::1]:${statsPort}/`);
      assert.equal(response.status, 200);
      const stats = (await response.json()) as Record<string, unknown>;
      assert.equal(stats.service, 'nutcracker');
      assert.ok('alpha' in stats);
    } finally {
      await cli?.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
