// Configuration problems: collected while validating, then thrown together.

export interface ConfigProblem {
  file: string;
  /** 1-based line of the offending key or value; 0 when the problem has no line (unreadable file). */
  line: number;
  /** The YAML key the problem is about ('' for a YAML syntax error or a whole-file problem). */
  key: string;
  /** What is wrong and how to fix it, without the location. */
  message: string;
}

/** "file:line: message", or "file: message" when the problem has no line. */
export function formatProblem(problem: ConfigProblem): string {
  const location = problem.line > 0 ? `${problem.file}:${problem.line}` : problem.file;
  return `${location}: ${problem.message}`;
}

/** Every problem found in one configuration file; the message lists them one per line. */
export class ConfigError extends Error {
  readonly problems: ConfigProblem[];

  constructor(problems: ConfigProblem[]) {
    super(problems.map(formatProblem).join('\n'));
    this.name = 'ConfigError';
    this.problems = problems;
  }
}
