// Command-line parsing with twemproxy's flags, getopt_long style. Pure: no I/O, no exit.
import { didYouMean } from '../config/suggest.js';

export interface CliOptions {
  help: boolean;
  version: boolean;
  testConf: boolean;
  daemonize: boolean;
  describeStats: boolean;
  verbosity: number;
  output: string | null;
  confFile: string;
  statsPort: number;
  statsAddr: string;
  statsInterval: number;
  pidFile: string | null;
  mbufSize: number;
}

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

const LOG_LEVEL_MIN = 0;
const LOG_LEVEL_MAX = 11;
const MBUF_SIZE_MIN = 512;
const MBUF_SIZE_MAX = 16777216;
const INT_MAX = 2 ** 31 - 1;

const DEFAULTS: Readonly<CliOptions> = {
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

type FlagField = 'help' | 'version' | 'testConf' | 'daemonize' | 'describeStats';
type NumberField = 'verbosity' | 'statsPort' | 'statsInterval' | 'mbufSize';
type TextField = 'output' | 'confFile' | 'statsAddr' | 'pidFile';

interface FlagOption { short: string; long: string; field: FlagField }

/** An option with a value: a whole number within a range, or any non-empty text. */
type ValueOption = { short: string; long: string; what: string } & (
  | { kind: 'integer'; field: NumberField; min: number; max: number }
  | { kind: 'text'; field: TextField }
);

const FLAG_OPTIONS: readonly FlagOption[] = [
  { short: 'h', long: 'help', field: 'help' },
  { short: 'V', long: 'version', field: 'version' },
  { short: 't', long: 'test-conf', field: 'testConf' },
  { short: 'd', long: 'daemonize', field: 'daemonize' },
  { short: 'D', long: 'describe-stats', field: 'describeStats' },
];

const VALUE_OPTIONS: readonly ValueOption[] = [
  { short: 'v', long: 'verbose', what: 'a log level', kind: 'integer', field: 'verbosity', min: LOG_LEVEL_MIN, max: LOG_LEVEL_MAX },
  { short: 'o', long: 'output', what: 'a log file name', kind: 'text', field: 'output' },
  { short: 'c', long: 'conf-file', what: 'a configuration file name', kind: 'text', field: 'confFile' },
  { short: 's', long: 'stats-port', what: 'a port', kind: 'integer', field: 'statsPort', min: 1, max: 65535 },
  { short: 'a', long: 'stats-addr', what: 'an address', kind: 'text', field: 'statsAddr' },
  { short: 'i', long: 'stats-interval', what: 'an interval in milliseconds', kind: 'integer', field: 'statsInterval', min: 1, max: INT_MAX },
  { short: 'p', long: 'pid-file', what: 'a pid file name', kind: 'text', field: 'pidFile' },
  { short: 'm', long: 'mbuf-size', what: 'a size in bytes', kind: 'integer', field: 'mbufSize', min: MBUF_SIZE_MIN, max: MBUF_SIZE_MAX },
];

/** `argv` without node and the script. Throws UsageError for anything twemproxy would refuse. */
export function parseArgs(argv: readonly string[]): CliOptions {
  const options: CliOptions = { ...DEFAULTS };
  const args = [...argv];
  while (args.length > 0) {
    const arg = args.shift()!;
    if (arg === '--') {
      if (args.length > 0) throw unexpectedArgument(args[0]!);
    } else if (arg.startsWith('--')) {
      parseLongOption(options, arg.slice(2), args);
    } else if (arg.startsWith('-') && arg.length > 1) {
      parseShortOptions(options, arg.slice(1), args);
    } else {
      throw unexpectedArgument(arg);
    }
  }
  return options;
}

/** "--name", "--name=value" or "--name value"; like getopt_long, an unambiguous prefix will do. */
function parseLongOption(options: CliOptions, text: string, rest: string[]): void {
  const equals = text.indexOf('=');
  const name = equals === -1 ? text : text.slice(0, equals);
  const inlineValue = equals === -1 ? null : text.slice(equals + 1);
  const option = findLongOption(name);
  if ('kind' in option) {
    setValue(options, option, inlineValue ?? rest.shift());
    return;
  }
  if (inlineValue !== null) throw new UsageError(`option --${option.long} takes no value`);
  options[option.field] = true;
}

function findLongOption(name: string): FlagOption | ValueOption {
  const all = [...FLAG_OPTIONS, ...VALUE_OPTIONS];
  const exact = all.find((option) => option.long === name);
  if (exact) return exact;
  const matches = name === '' ? [] : all.filter((option) => option.long.startsWith(name));
  if (matches.length === 1) return matches[0]!;
  if (matches.length > 1) {
    throw new UsageError(`option --${name} is ambiguous: it could be ${matches.map((option) => `--${option.long}`).join(', ')}`);
  }
  throw new UsageError(`unknown option --${name}${didYouMean(name, all.map((option) => option.long))} (see --help)`);
}

/** "-dt", "-v6", "-v 6", "-dv6": flags combine, and a value option takes the rest or the next argument. */
function parseShortOptions(options: CliOptions, letters: string, rest: string[]): void {
  for (let i = 0; i < letters.length; i++) {
    const letter = letters[i]!;
    if (letter === '?') {
      options.help = true;
      continue;
    }
    const flag = FLAG_OPTIONS.find((option) => option.short === letter);
    if (flag) {
      options[flag.field] = true;
      continue;
    }
    const option = VALUE_OPTIONS.find((candidate) => candidate.short === letter);
    if (!option) throw new UsageError(`unknown option -${letter} (see --help)`);
    const attached = letters.slice(i + 1);
    setValue(options, option, attached !== '' ? attached : rest.shift());
    return;
  }
}

/** Checks the value as twemproxy would (digits only for numbers, like nc_atoi) and stores it. */
function setValue(options: CliOptions, option: ValueOption, value: string | undefined): void {
  const expected = option.kind === 'integer' ? `${option.what} from ${option.min} to ${option.max}` : option.what;
  const name = `-${option.short}/--${option.long}`;
  if (value === undefined) throw new UsageError(`option ${name} needs a value: ${expected}`);
  if (option.kind === 'text') {
    if (value === '') throw new UsageError(`option ${name} needs ${expected}, not an empty string`);
    options[option.field] = value;
    return;
  }
  const number = /^[0-9]+$/.test(value) ? Number(value) : NaN;
  if (Number.isNaN(number) || number < option.min || number > option.max) {
    throw new UsageError(`option ${name} needs ${expected}, not '${value}'`);
  }
  options[option.field] = number;
}

function unexpectedArgument(arg: string): UsageError {
  return new UsageError(`unexpected argument '${arg}': nutcracker takes options only (give the configuration file with -c FILE)`);
}

/** twemproxy-like `-h` text: a version line, the synopsis, then every option with its default. */
export function usageText(version: string): string {
  const d = DEFAULTS;
  const rows: [string, string][] = [
    ['-h, --help', 'show this help and exit'],
    ['-V, --version', 'show the version and exit'],
    ['-t, --test-conf', 'check the configuration file, list every problem, and exit'],
    ['-d, --daemonize', 'run in the background as a daemon'],
    ['-D, --describe-stats', 'describe every stats field and exit'],
    ['-v, --verbose=N', `log level (default: ${d.verbosity}, min: ${LOG_LEVEL_MIN}, max: ${LOG_LEVEL_MAX})`],
    ['-o, --output=FILE', 'log file, reopened on SIGHUP (default: stderr)'],
    ['-c, --conf-file=FILE', `configuration file (default: ${d.confFile})`],
    ['-s, --stats-port=N', `stats port (default: ${d.statsPort})`],
    ['-a, --stats-addr=ADDR', `stats address (default: ${d.statsAddr})`],
    ['-i, --stats-interval=MS', `stats aggregation interval in milliseconds (default: ${d.statsInterval} ms)`],
    ['-p, --pid-file=FILE', 'write the process id to this file (default: off)'],
    ['-m, --mbuf-size=N', `I/O buffer chunk size in bytes (default: ${d.mbufSize} bytes, min: ${MBUF_SIZE_MIN}, max: ${MBUF_SIZE_MAX})`],
  ];
  const width = Math.max(...rows.map(([flags]) => flags.length));
  return [
    `This is nutcracker-${version}`,
    '',
    'Usage: nutcracker [-?hVdDt] [-v verbosity level] [-o output file]',
    '                  [-c conf file] [-s stats port] [-a stats addr]',
    '                  [-i stats interval] [-p pid file] [-m mbuf size]',
    '',
    'Options:',
    ...rows.map(([flags, meaning]) => `  ${flags.padEnd(width)} : ${meaning}`),
    '',
  ].join('\n');
}
