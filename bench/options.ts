// `npm run bench -- [options]`: parsed and checked here, with the usage text. Pure: no I/O.
import { parseArgs } from 'node:util';

export interface BenchOptions {
  help: boolean;
  list: boolean;
  /** Scenario names; empty: all of them. */
  scenarios: string[];
  json: string | null;
  requests: number | null;
  repeat: number | null;
  leakMinutes: number;
}

export const DEFAULT_LEAK_MINUTES = 0.5;

export const USAGE = `Usage: npm run bench -- [options]

Runs redis-benchmark against redis-server directly, through this proxy, and through the
nutcracker binary named by NUTCRACKER_REF (when set), and prints ops/s, p50/p99 latency and
ratios per scenario, and the proxies' resident memory.

  --scenario NAME     run only this scenario (repeatable, or a comma-separated list)
  --list              list the scenarios (with their default runs) and exit
  --json FILE         also write the results as JSON to FILE
  --requests N        requests per redis-benchmark run, for every scenario (default: each scenario's own)
  --repeat N          runs per throughput scenario, medians reported (default: each scenario's own, see --list)
  --leak-minutes M    duration of leak-check per proxy (default ${DEFAULT_LEAK_MINUTES}; 5 for a release check)
  --help              show this text
`;

/** Throws an Error with a message for the user on anything it cannot use. */
export function parseBenchOptions(argv: readonly string[]): BenchOptions {
  const { values } = parseArgs({
    args: [...argv],
    strict: true,
    allowPositionals: false,
    options: {
      help: { type: 'boolean', default: false },
      list: { type: 'boolean', default: false },
      scenario: { type: 'string', multiple: true, default: [] },
      json: { type: 'string' },
      requests: { type: 'string' },
      repeat: { type: 'string' },
      'leak-minutes': { type: 'string' },
    },
  });
  return {
    help: values.help,
    list: values.list,
    scenarios: values.scenario.flatMap((names) => names.split(',')).map((name) => name.trim()).filter((name) => name !== ''),
    json: values.json ?? null,
    requests: values.requests === undefined ? null : positiveInteger('--requests', values.requests),
    repeat: values.repeat === undefined ? null : positiveInteger('--repeat', values.repeat),
    leakMinutes: values['leak-minutes'] === undefined ? DEFAULT_LEAK_MINUTES : positiveNumber('--leak-minutes', values['leak-minutes']),
  };
}

function positiveInteger(flag: string, text: string): number {
  const value = positiveNumber(flag, text);
  if (!Number.isInteger(value)) throw new Error(`${flag} takes a whole number, not '${text}'`);
  return value;
}

function positiveNumber(flag: string, text: string): number {
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || value <= 0) throw new Error(`${flag} takes a number above 0, not '${text}'`);
  return value;
}
