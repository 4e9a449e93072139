// Command-line parsing: twemproxy's flags in every getopt form, and clear errors.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseArgs, UsageError, usageText, type CliOptions } from '../../src/cli/args.js';

const DEFAULTS: CliOptions = {
  help: false,
  version: false,
  testConf: false,
  daemonize: false,
  describeStats: false,
  verbosity: 5,
  output: null,
  confFile: 'conf/nutcracker.yml',
  statsPort: 22222,
  statsAddr: '0.0.0.0',
  statsInterval: 30000,
  pidFile: null,
  mbufSize: 16384,
};

function refused(argv: string[], pattern: RegExp): void {
  assert.throws(() => parseArgs(argv), (error: unknown) => {
    assert.ok(error instanceof UsageError);
    assert.match(error.message, pattern);
    return true;
  });
}

describe('parseArgs', () => {
  it('has twemproxy defaults', () => {
    assert.deepEqual(parseArgs([]), DEFAULTS);
  });

  it('reads every flag, short and long', () => {
    const flags: [string, string, keyof CliOptions][] = [
      ['-h', '--help', 'help'], ['-V', '--version', 'version'], ['-t', '--test-conf', 'testConf'],
      ['-d', '--daemonize', 'daemonize'], ['-D', '--describe-stats', 'describeStats'],
    ];
    for (const [short, long, field] of flags) {
      assert.deepEqual(parseArgs([short]), { ...DEFAULTS, [field]: true });
      assert.deepEqual(parseArgs([long]), { ...DEFAULTS, [field]: true });
    }
    assert.equal(parseArgs(['-?']).help, true);
  });

  it('combines short flags', () => {
    const options = parseArgs(['-dt']);
    assert.equal(options.daemonize, true);
    assert.equal(options.testConf, true);
  });

  it('takes a value attached, as the next argument, or after =', () => {
    for (const argv of [['-v6'], ['-v', '6'], ['--verbose', '6'], ['--verbose=6'], ['-dv6'], ['-dv', '6']]) {
      assert.equal(parseArgs(argv).verbosity, 6, argv.join(' '));
    }
  });

  it('reads every value option', () => {
    assert.deepEqual(parseArgs([
      '-v', '11', '-o', '/var/log/n.log', '-c', 'my.yml', '-s', '1', '-a', '127.0.0.1', '-i', '1000',
      '-p', '/run/n.pid', '-m', '512',
    ]), {
      ...DEFAULTS, verbosity: 11, output: '/var/log/n.log', confFile: 'my.yml', statsPort: 1,
      statsAddr: '127.0.0.1', statsInterval: 1000, pidFile: '/run/n.pid', mbufSize: 512,
    });
    assert.deepEqual(parseArgs([
      '--verbose=0', '--output=o.log', '--conf-file=c.yml', '--stats-port=65535', '--stats-addr=::1',
      '--stats-interval=5', '--pid-file=p.pid', '--mbuf-size=16777216',
    ]), {
      ...DEFAULTS, verbosity: 0, output: 'o.log', confFile: 'c.yml', statsPort: 65535,
      statsAddr: '::1', statsInterval: 5, pidFile: 'p.pid', mbufSize: 16777216,
    });
  });

  it('lets a later option win, like getopt', () => {
    assert.equal(parseArgs(['-c', 'a.yml', '--conf-file', 'b.yml']).confFile, 'b.yml');
  });

  it('takes the next argument as the value even when it starts with -, like getopt', () => {
    assert.equal(parseArgs(['-c', '-d']).confFile, '-d');
  });

  it('accepts an unambiguous prefix of a long option, like getopt_long', () => {
    assert.equal(parseArgs(['--verb=7']).verbosity, 7);
    assert.equal(parseArgs(['--conf', 'x.yml']).confFile, 'x.yml');
    refused(['--stats=1'], /--stats is ambiguous: it could be --stats-port, --stats-addr, --stats-interval/);
  });

  it('accepts -- as the end of options', () => {
    assert.deepEqual(parseArgs(['-t', '--']), { ...DEFAULTS, testConf: true });
  });
});

describe('parseArgs errors', () => {
  it('names the option and the valid range for a bad number', () => {
    refused(['-v', '12'], /option -v\/--verbose needs a log level from 0 to 11, not '12'/);
    refused(['-v', '-1'], /not '-1'/);
    refused(['-s', '0'], /option -s\/--stats-port needs a port from 1 to 65535, not '0'/);
    refused(['--stats-port=65536'], /not '65536'/);
    refused(['-i', '0'], /option -i\/--stats-interval needs an interval in milliseconds from 1 to/);
    refused(['-m', '511'], /option -m\/--mbuf-size needs a size in bytes from 512 to 16777216, not '511'/);
    refused(['-m', '16777217'], /not '16777217'/);
    refused(['-s', 'http'], /not 'http'/);
    refused(['-s', '+80'], /not '\+80'/);
  });

  it('refuses a missing or empty value', () => {
    refused(['-v'], /option -v\/--verbose needs a value: a log level from 0 to 11/);
    refused(['--conf-file'], /option -c\/--conf-file needs a value: a configuration file name/);
    refused(['-c', ''], /needs a configuration file name, not an empty string/);
    refused(['--pid-file='], /needs a pid file name/);
  });

  it('refuses unknown options, with a suggestion for long ones', () => {
    refused(['-x'], /unknown option -x/);
    refused(['-dx'], /unknown option -x/);
    refused(['--stat-port=1'], /unknown option --stat-port \(did you mean 'stats-port'\?\)/);
    refused(['--nothing-like-it'], /unknown option --nothing-like-it \(see --help\)/);
  });

  it('refuses a value given to a flag', () => {
    refused(['--help=yes'], /option --help takes no value/);
  });

  it('refuses arguments that are not options', () => {
    refused(['nutcracker.yml'], /unexpected argument 'nutcracker\.yml'.*-c FILE/);
    refused(['-t', '--', 'x'], /unexpected argument 'x'/);
    refused(['-'], /unexpected argument '-'/);
  });
});

describe('usageText', () => {
  it('starts with the version and the synopsis', () => {
    const text = usageText('1.2.3');
    assert.match(text, /^This is nutcracker-1\.2\.3\n/);
    assert.match(text, /Usage: nutcracker \[-\?hVdDt\] \[-v verbosity level\] \[-o output file\]/);
  });

  it('lists every option with its default', () => {
    const text = usageText('1.2.3');
    for (const option of ['-h, --help', '-V, --version', '-t, --test-conf', '-d, --daemonize', '-D, --describe-stats',
      '-v, --verbose=N', '-o, --output=FILE', '-c, --conf-file=FILE', '-s, --stats-port=N', '-a, --stats-addr=ADDR',
      '-i, --stats-interval=MS', '-p, --pid-file=FILE', '-m, --mbuf-size=N']) {
      assert.ok(text.includes(option), option);
    }
    for (const fact of ['default: 5, min: 0, max: 11', 'default: conf/nutcracker.yml', 'default: 22222', 'default: 0.0.0.0',
      'default: 30000 ms', 'default: 16384 bytes, min: 512, max: 16777216', 'default: stderr', 'default: off']) {
      assert.ok(text.includes(fact), fact);
    }
  });
});
