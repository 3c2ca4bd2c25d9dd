/** Where JSON text first nests deeper than allowed. */
export interface TooDeep {
  maxDepth: number;
  /** 0-based character index of the bracket that opens the level over the limit. */
  index: number;
  /** 1-based line and column of that bracket. */
  line: number;
  column: number;
}

/**
 * Scans JSON text (without parsing it) for nesting deeper than `maxDepth` arrays/objects. JSON.parse
 * itself copes with deep nesting, but everything that walks the value afterwards (zod, JSON.stringify
 * for the dead letter) recurses and overflows the stack: a 400 KB body of brackets answered 500.
 * Linear time, constant memory; brackets inside strings do not count.
 */
export function findTooDeep(text: string, maxDepth: number): TooDeep | null {
  let depth = 0;
  let inString = false;
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c /* \ */) i++;
      else if (c === 0x22 /* " */) inString = false;
      continue;
    }
    if (c === 0x22) inString = true;
    else if (c === 0x5b /* [ */ || c === 0x7b /* { */) {
      depth++;
      if (depth > maxDepth) return { maxDepth, index: i, line, column: i - lineStart + 1 };
    } else if (c === 0x5d /* ] */ || c === 0x7d /* } */) depth--;
    else if (c === 0x0a /* \n */) {
      line++;
      lineStart = i + 1;
    }
  }
  return null;
}

/**
 * The reason text; `lineNo` replaces the line within the scanned text (an NDJSON line's own number),
 * `setting` names the configuration variable that sets the limit (e.g. `INGEST_MAX_JSON_DEPTH`).
 */
export function describeTooDeep(t: TooDeep, lineNo?: number, setting?: string): string {
  const where =
    lineNo === undefined ? `line ${t.line}, column ${t.column} (character ${t.index})` : `column ${t.column}`;
  return `JSON nested deeper than ${t.maxDepth} levels${setting ? ` (${setting})` : ''} at ${where}`;
}
