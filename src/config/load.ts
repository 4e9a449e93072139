// Reads a nutcracker.yml (classic twemproxy layout or extended `global:` + `pools:` layout) into a
// validated Config, or throws one ConfigError listing every problem found.
import { readFileSync } from 'node:fs';
import { isMap, isScalar, LineCounter, parseDocument, type YAMLError, type YAMLMap } from 'yaml';
import { ConfigError, type ConfigProblem } from './errors.js';
import { defaultGlobal, GLOBAL_KEYS, parseGlobal } from './global.js';
import { listenIdentity } from './listen.js';
import { parsePool } from './pool.js';
import { discoveryConfig } from '../discovery/discovery-config.js';
import { describeNode, ProblemLog, Section, type Entry } from './section.js';
import { compareTwemproxyStrings } from './server-line.js';
import { closestMatch } from './suggest.js';
import type { Config, GlobalConfig, PoolConfig } from './types.js';

export { ConfigError, formatProblem, type ConfigProblem } from './errors.js';

const EXTENDED_TOP_KEYS = ['global', 'pools'];

export function loadConfig(file: string): Config {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new ConfigError([{ file, line: 0, key: '', message: `cannot read the configuration file: ${reason}` }]);
  }
  return parseConfig(text, file);
}

export function parseConfig(text: string, file: string): Config {
  const lines = new LineCounter();
  // failsafe: every scalar stays the string written, so values are checked by twemproxy's rules.
  const document = parseDocument(text, { lineCounter: lines, schema: 'failsafe', uniqueKeys: false, prettyErrors: false });
  const log = new ProblemLog(file, lines);
  for (const error of document.errors) log.add(log.lineAt(error.pos[0]), '', describeYamlError(error));
  const config = log.problems.length === 0 ? readTopLevel(log, document.contents) : null;
  if (config === null || log.problems.length > 0) throw new ConfigError(inFileOrder(log.problems));
  return config;
}

/** Stable sort by line, so problems read top to bottom like the file (whole-file ones first). */
function inFileOrder(problems: readonly ConfigProblem[]): ConfigProblem[] {
  return [...problems].sort((a, b) => a.line - b.line);
}

function describeYamlError(error: YAMLError): string {
  if (error.code === 'MULTIPLE_DOCS') return "the file must hold exactly one YAML document: remove the '---' separator and what follows";
  return `YAML syntax error: ${error.message}`;
}

function readTopLevel(log: ProblemLog, contents: unknown): Config | null {
  if (!isMap(contents)) {
    const found = contents === null ? 'is empty' : `is ${describeNode(contents)}`;
    log.add(log.lineOf(contents, 0), '', `the file ${found}: it must map pool names to pool options, e.g. "alpha:" then indented "listen:" and "servers:"`);
    return null;
  }
  const top = new Section(log, 'the top level', 1, contents);
  const { global, pools } = isExtendedLayout(top) ? readExtendedLayout(log, top) : readClassicLayout(log, top);
  if (pools.length === 0 && log.problems.length === 0) {
    log.add(0, '', 'the file has no pools: add at least one pool with "listen:" and "servers:"');
  }
  reportSharedListenAddresses(log, pools);
  const withNameservers = pools.map((pool) => ({ ...pool, discovery: discoveryConfig(pool.discovery, global.dnsServers) }));
  return { file: log.file, global, pools: sortPoolsLikeTwemproxy(withNameservers), warnings: inFileOrder(log.warnings) };
}

/**
 * Extended when `global:` and `pools:` are both there, or when `pools:` is a mapping that is not
 * itself a pool (has no listen/servers): so a classic pool named "pools" still reads as classic.
 */
function isExtendedLayout(top: Section): boolean {
  const pools = top.entry('pools');
  if (pools && top.has('global')) return true;
  return isMap(pools?.value) && !hasAnyKey(pools.value, ['listen', 'servers']);
}

function hasAnyKey(map: YAMLMap, keys: readonly string[]): boolean {
  return map.items.some((pair) => isScalar(pair.key) && keys.includes(String(pair.key.value)));
}

interface Layout {
  global: GlobalConfig;
  pools: PoolConfig[];
}

function readExtendedLayout(log: ProblemLog, top: Section): Layout {
  top.reportUnknownKeys(EXTENDED_TOP_KEYS, (key) => closestMatch(key, EXTENDED_TOP_KEYS) === null
    ? "is not allowed beside 'pools:': in the extended layout only 'global:' and 'pools:' are top-level keys, pools go under 'pools:'"
    : null);
  const globalEntry = top.entry('global');
  const global = globalEntry ? readMapping(log, globalEntry, "'global'", parseGlobal) : null;
  const poolsEntry = top.entry('pools')!;
  const pools: PoolConfig[] = [];
  const poolsSection = readMapping(log, poolsEntry, "'pools'", (section) => section);
  for (const name of poolsSection?.keys() ?? []) {
    const pool = readPool(log, poolsSection!.entry(name)!);
    if (pool) pools.push(pool);
  }
  return { global: global ?? defaultGlobal(), pools };
}

function readClassicLayout(log: ProblemLog, top: Section): Layout {
  const pools: PoolConfig[] = [];
  for (const name of top.keys()) {
    const entry = top.entry(name)!;
    if (looksLikeMisplacedGlobal(entry)) {
      log.add(entry.line, name, "'global:' needs a 'pools:' mapping beside it: in the classic layout every top-level key is a pool, so move the pools under 'pools:'");
      continue;
    }
    const pool = readPool(log, entry);
    if (pool) pools.push(pool);
  }
  return { global: defaultGlobal(), pools };
}

/** A `global:` with global options but no `pools:` beside it: surely not a pool named "global". */
function looksLikeMisplacedGlobal(entry: Entry): boolean {
  return entry.key === 'global' && isMap(entry.value) && hasAnyKey(entry.value, GLOBAL_KEYS) && !hasAnyKey(entry.value, ['listen']);
}

function readPool(log: ProblemLog, entry: Entry): PoolConfig | null {
  return readMapping(log, entry, `pool '${entry.key}'`, (section) => parsePool(section, entry.key));
}

/** Runs `read` on the entry's mapping, or reports that the entry is not a mapping. */
function readMapping<T>(log: ProblemLog, entry: Entry, what: string, read: (section: Section) => T): T | null {
  if (!isMap(entry.value)) {
    log.add(log.lineOf(entry.value, entry.line), entry.key, `${what} must be a mapping (indented "key: value" lines), not ${describeNode(entry.value)}`);
    return null;
  }
  return read(new Section(log, what, entry.line, entry.value));
}

/** twemproxy refuses two pools on one listen address; compared after parsing, not as written. */
function reportSharedListenAddresses(log: ProblemLog, pools: readonly PoolConfig[]): void {
  const firstByAddress = new Map<string, PoolConfig>();
  for (const pool of pools) {
    const identity = listenIdentity(pool.listen);
    const first = firstByAddress.get(identity);
    if (!first) {
      firstByAddress.set(identity, pool);
      continue;
    }
    log.add(pool.line, 'listen', `pool '${pool.name}' listens on '${pool.listen.text}', like pool '${first.name}' (line ${first.line}): give each pool its own listen address`);
  }
}

/**
 * twemproxy's conf_post_validate sorts the pools by name (shorter first, then bytewise) before
 * building them, so its stats list pools in that order, not in file order; we do the same.
 */
function sortPoolsLikeTwemproxy(pools: readonly PoolConfig[]): PoolConfig[] {
  return [...pools].sort((a, b) => compareTwemproxyStrings(a.name, b.name));
}
