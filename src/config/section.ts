// Reading one YAML mapping of options (a pool or `global:`), reporting every problem with its line.
import { isAlias, isMap, isNode, isScalar, isSeq, type LineCounter, type YAMLMap } from 'yaml';
import type { ConfigProblem } from './errors.js';
import { didYouMean } from './suggest.js';

/** Where problems go: every check reports and carries on, so one run lists them all. */
export class ProblemLog {
  readonly problems: ConfigProblem[] = [];
  /** Things that work but are most likely not what was meant: -t and the start print them. */
  readonly warnings: ConfigProblem[] = [];

  constructor(readonly file: string, private readonly lines: LineCounter) {}

  add(line: number, key: string, message: string): void {
    this.problems.push({ file: this.file, line, key, message });
  }

  /** 1-based line of a character offset in the file. */
  lineAt(offset: number): number {
    return this.lines.linePos(offset).line;
  }

  /** 1-based line where a node starts, or `fallback` for a node without a position. */
  lineOf(node: unknown, fallback: number): number {
    if (!isNode(node) || !node.range) return fallback;
    return this.lineAt(node.range[0]);
  }
}

/** A key as written, with the line of the key and its value node (null when the value is missing). */
export interface Entry {
  key: string;
  line: number;
  value: unknown;
}

/** A list item as text, with its own line. */
export interface ListItem {
  text: string;
  line: number;
}

export interface IntegerRange {
  min: number;
  max?: number;
  /** e.g. "milliseconds", shown in messages. */
  unit?: string;
}

const INT_MAX = 2 ** 31 - 1;

/**
 * Reads the entries of one mapping; each line of every problem is known from the YAML nodes.
 * Values are read as the failsafe schema gives them (plain strings), so that `True`, `yes`, `1e3` or
 * `0x10` are refused as twemproxy refuses them, instead of being reinterpreted by YAML 1.2 rules.
 */
export class Section {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly log: ProblemLog,
    /** e.g. "pool 'alpha'", used in messages. */
    readonly what: string,
    readonly line: number,
    map: YAMLMap,
  ) {
    for (const pair of map.items) this.addEntry(pair.key, pair.value);
  }

  private addEntry(keyNode: unknown, value: unknown): void {
    const line = this.log.lineOf(keyNode, this.line);
    if (!isScalar(keyNode) || typeof keyNode.value !== 'string' || keyNode.value === '') {
      this.log.add(line, '', `${this.what} has a key that is not a plain name: write "name: value"`);
      return;
    }
    const key = keyNode.value;
    const earlier = this.entries.get(key);
    if (earlier) {
      this.log.add(line, key, `key '${key}' in ${this.what} appears twice (first on line ${earlier.line}): keep one`);
      return;
    }
    this.entries.set(key, { key, line, value });
  }

  keys(): string[] {
    return [...this.entries.keys()];
  }

  has(key: string): boolean {
    return this.entries.has(key);
  }

  entry(key: string): Entry | undefined {
    return this.entries.get(key);
  }

  /** Line of a key's single value (it may be on the next line); the key's line for a list or mapping. */
  lineOfValue(entry: Entry): number {
    return isScalar(entry.value) ? this.log.lineOf(entry.value, entry.line) : entry.line;
  }

  problem(entry: Entry, message: string): void {
    this.problemAt(entry.key, this.lineOfValue(entry), message);
  }

  problemAt(key: string, line: number, message: string): void {
    this.log.add(line, key, `key '${key}' in ${this.what} ${message}`);
  }

  /** A warning about the section as a whole, on its first line. */
  sectionWarning(key: string, message: string): void {
    this.log.warnings.push({ file: this.log.file, line: this.line, key, message: `${this.what} ${message}` });
  }

  /** A problem with the section as a whole (e.g. a missing key), reported on its first line. */
  sectionProblem(key: string, message: string): void {
    this.log.add(this.line, key, `${this.what} ${message}`);
  }

  /** Reports every key not in `known`, with the closest known key; `hint` may explain better. */
  reportUnknownKeys(known: readonly string[], hint: (key: string) => string | null = () => null): void {
    for (const entry of this.entries.values()) {
      if (known.includes(entry.key)) continue;
      const explanation = hint(entry.key) ?? `is unknown${didYouMean(entry.key, known)}`;
      this.problemAt(entry.key, entry.line, explanation);
    }
  }

  /** The value as a non-empty string; undefined when the key is absent or its value is unusable. */
  text(key: string): string | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (!isScalar(entry.value)) {
      this.problem(entry, `must be a single value, not ${describeNode(entry.value)}`);
      return undefined;
    }
    const value = String(entry.value.value);
    if (value === '') {
      this.problem(entry, 'has no value');
      return undefined;
    }
    return value;
  }

  /** Only `true` and `false`, as in twemproxy; undefined when absent or invalid (reported). */
  optionalBool(key: string): boolean | undefined {
    const value = this.text(key);
    if (value === undefined) return undefined;
    if (value === 'true') return true;
    if (value === 'false') return false;
    this.problem(this.entries.get(key)!, `must be true or false, not '${value}'`);
    return undefined;
  }

  bool(key: string, fallback: boolean): boolean {
    return this.optionalBool(key) ?? fallback;
  }

  /**
   * A whole decimal number within `range` (twemproxy accepts digits only: no sign, no 0x, no 1e3);
   * undefined when absent or invalid (reported).
   */
  optionalInt(key: string, range: IntegerRange): number | undefined {
    const value = this.text(key);
    if (value === undefined) return undefined;
    const max = range.max ?? INT_MAX;
    const number = /^[0-9]+$/.test(value) ? Number(value) : NaN;
    if (Number.isNaN(number) || number < range.min || number > max) {
      const kind = range.unit ? `a whole number of ${range.unit}` : 'a whole number';
      const bounds = range.max === undefined ? `>= ${range.min}` : `from ${range.min} to ${range.max}`;
      this.problem(this.entries.get(key)!, `must be ${kind} ${bounds}, not '${value}'`);
      return undefined;
    }
    return number;
  }

  int(key: string, fallback: number, range: IntegerRange): number {
    return this.optionalInt(key, range) ?? fallback;
  }

  /** One of a fixed set of names; undefined when absent or invalid (reported). */
  optionalChoice<T extends string>(key: string, options: readonly T[]): T | undefined {
    const value = this.text(key);
    if (value === undefined) return undefined;
    if ((options as readonly string[]).includes(value)) return value as T;
    this.problem(this.entries.get(key)!, `must be one of ${options.join(', ')}, not '${value}'${didYouMean(value, options)}`);
    return undefined;
  }

  choice<T extends string>(key: string, options: readonly T[], fallback: T): T {
    return this.optionalChoice(key, options) ?? fallback;
  }

  /** A YAML list of strings; undefined when the key is absent or not a list. */
  list(key: string): ListItem[] | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (!isSeq(entry.value)) {
      this.problem(entry, `must be a list ("- item" lines), not ${describeNode(entry.value)}`);
      return undefined;
    }
    const items: ListItem[] = [];
    for (const item of entry.value.items) {
      const line = this.log.lineOf(item, entry.line);
      if (!isScalar(item) || String(item.value) === '') {
        this.problemAt(key, line, `has an item that is ${describeNode(item)}: each item must be text`);
        continue;
      }
      items.push({ text: String(item.value), line });
    }
    return items;
  }
}

/** How a misplaced node looks to the user, for messages. */
export function describeNode(node: unknown): string {
  if (isMap(node)) return 'a mapping';
  if (isSeq(node)) return 'a list';
  if (isAlias(node)) return 'an alias (anchors and aliases are not supported: write the value out)';
  if (isScalar(node) && String(node.value) === '') return 'empty';
  if (isScalar(node)) return `'${String(node.value)}'`;
  return 'empty';
}
