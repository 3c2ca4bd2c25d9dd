/**
 * Listwise deletion: the rows where every named column has a finite number (statsmodels'
 * missing='drop'). Statistics refuse missing values, so callers drop them here first and report how
 * many students were left out and why.
 */
export interface CompleteCases<K extends string> {
  columns: Record<K, number[]>;
  /** Positions (0-based) of the rows kept, in order. */
  kept: number[];
  /** For each column, how many rows lacked it (a row may lack several). */
  missing: Record<K, number>;
  dropped: number;
}

export function completeCases<K extends string>(
  columns: Record<K, readonly (number | null | undefined)[]>,
): CompleteCases<K> {
  const names = Object.keys(columns) as K[];
  const length = Math.max(0, ...names.map((k) => columns[k].length));
  const out = {} as Record<K, number[]>;
  const missing = {} as Record<K, number>;
  for (const name of names) {
    out[name] = [];
    missing[name] = 0;
  }
  const kept: number[] = [];
  for (let i = 0; i < length; i++) {
    let complete = true;
    for (const name of names) {
      const v = columns[name][i];
      if (typeof v !== 'number' || !Number.isFinite(v)) {
        missing[name]++;
        complete = false;
      }
    }
    if (!complete) continue;
    kept.push(i);
    for (const name of names) out[name].push(columns[name][i] as number);
  }
  return { columns: out, kept, missing, dropped: length - kept.length };
}
