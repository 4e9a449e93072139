// The pool keys this project adds to twemproxy's whose behaviour is not built yet.
// Each is parsed and range-checked now, so a typo is still caught; a value other than the default
// is refused, because accepting it would silently start a proxy that ignores what was asked.
import type { IntegerRange, Section } from './section.js';

type Extension =
  | { key: string; kind: 'bool'; fallback: boolean }
  | { key: string; kind: 'int'; fallback: number; range: IntegerRange };

const UNBUILT_POOL_EXTENSIONS: readonly Extension[] = [
  { key: 'latency_routing', kind: 'bool', fallback: false },
  { key: 'latency_weight', kind: 'int', fallback: 80, range: { min: 0, max: 100, unit: 'percent' } },
  { key: 'zone_aware', kind: 'bool', fallback: false },
  { key: 'zone_weight', kind: 'int', fallback: 25, range: { min: 0, unit: 'percent' } },
  { key: 'zone_latency_threshold', kind: 'int', fallback: 50000, range: { min: 0, unit: 'microseconds' } },
];

export const UNBUILT_POOL_KEYS: readonly string[] = UNBUILT_POOL_EXTENSIONS.map((extension) => extension.key);

/** Validates every unbuilt key present in a pool and refuses the ones that ask for behaviour. */
export function checkUnbuiltExtensions(section: Section): void {
  for (const extension of UNBUILT_POOL_EXTENSIONS) {
    const entry = section.entry(extension.key);
    if (entry && asksForBehaviour(section, extension)) {
      section.problem(entry, `is not supported yet by this version: ${howToKeepDefault(extension)}`);
    }
  }
}

/** False when the value is its default (harmless) or invalid (already reported). */
function asksForBehaviour(section: Section, extension: Extension): boolean {
  switch (extension.kind) {
    case 'bool':
      return section.bool(extension.key, extension.fallback) !== extension.fallback;
    case 'int':
      return section.int(extension.key, extension.fallback, extension.range) !== extension.fallback;
  }
}

function howToKeepDefault(extension: Extension): string {
  switch (extension.kind) {
    case 'bool':
    case 'int':
      return `remove it or set it to its default, ${extension.fallback}`;
  }
}
