/** Input checks shared by the statistics; each returns the reason sentence or null when the input is fine. */

const MAX_LISTED = 5;

/** Positions (0-based) listed in a reason: the first few, then how many more. */
export function listPositions(positions: readonly number[]): string {
  const shown = positions.slice(0, MAX_LISTED).join(', ');
  const more = positions.length - MAX_LISTED;
  return more > 0 ? `${shown} and ${more} more` : shown;
}

/** Missing (NaN, ±Infinity, null smuggled in as a number) values in a column, by position. */
export function checkFinite(values: readonly number[], name: string): string | null {
  const bad: number[] = [];
  values.forEach((v, i) => {
    if (typeof v !== 'number' || !Number.isFinite(v)) bad.push(i);
  });
  if (bad.length === 0) return null;
  return (
    `${name} is missing or not a number for ${bad.length} of ${values.length} students ` +
    `(positions ${listPositions(bad)}); drop incomplete rows first (completeCases)`
  );
}

export function checkSameLength(columns: readonly { name: string; values: readonly number[] }[]): string | null {
  const first = columns[0];
  if (!first) return null;
  for (const c of columns.slice(1)) {
    if (c.values.length !== first.values.length) {
      return `${c.name} has ${c.values.length} values but ${first.name} has ${first.values.length}; every column needs one value per student`;
    }
  }
  return null;
}

export function checkLevel(level: number): string | null {
  if (!(level > 0 && level < 1)) return `confidence level must be between 0 and 1 (exclusive), got ${level}`;
  return null;
}

export function checkMinimum(n: number, minimum: number, what: string): string | null {
  if (n < minimum) return `${what} needs at least ${minimum} students, got ${n}`;
  return null;
}

/** The first reason among the checks, or null. */
export function firstProblem(...problems: (string | null)[]): string | null {
  for (const p of problems) if (p !== null) return p;
  return null;
}
