// "Did you mean ...?" for misspelt keys and values.

/** Levenshtein distance, case-insensitive (a capitalised key is a misspelling too). */
export function editDistance(a: string, b: string): number {
  const left = a.toLowerCase();
  const right = b.toLowerCase();
  let previous = Array.from({ length: right.length + 1 }, (_, i) => i);
  for (let i = 1; i <= left.length; i++) {
    const current = [i];
    for (let j = 1; j <= right.length; j++) {
      const substitution = previous[j - 1]! + (left[i - 1] === right[j - 1] ? 0 : 1);
      current.push(Math.min(previous[j]! + 1, current[j - 1]! + 1, substitution));
    }
    previous = current;
  }
  return previous[right.length]!;
}

/**
 * The candidate closest to `word`, or null when none is close enough to be a plausible typo
 * (about a third of the word's letters wrong at most, so short words get no wild guesses).
 */
export function closestMatch(word: string, candidates: readonly string[]): string | null {
  const tolerance = Math.max(1, Math.ceil(word.length / 3));
  let best: string | null = null;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const distance = editDistance(word, candidate);
    const isCloser = distance < bestDistance
      || (distance === bestDistance && commonPrefixLength(word, candidate) > commonPrefixLength(word, best!));
    if (isCloser) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return bestDistance <= tolerance ? best : null;
}

/** Tie-break between equally distant candidates: typos happen more towards the end of a word. */
function commonPrefixLength(a: string, b: string): number {
  let length = 0;
  while (length < a.length && length < b.length && a[length]!.toLowerCase() === b[length]!.toLowerCase()) length++;
  return length;
}

/** " (did you mean 'x'?)" or '' when nothing is close. */
export function didYouMean(word: string, candidates: readonly string[]): string {
  const match = closestMatch(word, candidates);
  return match === null ? '' : ` (did you mean '${match}'?)`;
}
