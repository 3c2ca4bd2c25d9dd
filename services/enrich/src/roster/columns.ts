import { distance } from 'fastest-levenshtein';
import type { HeaderColumn, RosterIssue } from './csv';

/**
 * What a roster format says about one file's columns, and how much edusage depends on each.
 * Names are written in the format's own spelling (camelCase for OneRoster, "SIS ID" for SDS v1);
 * matching ignores case.
 */
export interface ColumnRules {
  /** Format (and version) the rules come from, for messages: "OneRoster 1.1", "SDS v2.1". */
  source: string;
  /** Columns the format requires. */
  required: readonly string[];
  /** Columns without which the load would be wrong, each with what would be lost (for the message). */
  needed: Readonly<Record<string, string>>;
  /** Standard columns edusage reads (a missing one changes what loads). */
  read: readonly string[];
  /** Every standard column of the file, in any version of the format. */
  known: readonly string[];
  /** Other accepted spellings (older versions): lower-cased alias → standard name. */
  aliases?: Readonly<Record<string, string>>;
}

export interface ColumnCheck {
  issues: RosterIssue[];
  /** Unambiguous spacing/punctuation variants to read as the standard column (lower-cased). */
  renames: Map<string, string>;
}

type Likeness = 'variant' | 'similar';

/** Vendor and extension columns (`metadata.x`, `ext_vendor_x`) are not compared to standard names. */
function isExtension(name: string): boolean {
  return /^(metadata\.|ext[_.])/.test(name);
}

function squash(name: string): string {
  return name.toLowerCase().replace(/[\s_.-]/g, '');
}

/** How much `name` looks like the standard column `target`: null when it does not. */
function likeness(name: string, target: string): { kind: Likeness; score: number } | null {
  const n = squash(name);
  const t = squash(target);
  if (n === '' || t === '') return null;
  if (n === t) return { kind: 'variant', score: 0 };
  // Shortened reference columns: orgs / org / orgIds for orgSourcedIds, classId for classSourcedId.
  const base = t.replace(/sourcedids?$/, '');
  if (base !== t && base !== '' && [base, `${base}s`, `${base}id`, `${base}ids`].includes(n)) {
    return { kind: 'similar', score: 1 };
  }
  const limit = t.length >= 8 ? 2 : t.length >= 4 ? 1 : 0;
  const d = distance(n, t);
  return d <= limit ? { kind: 'similar', score: d } : null;
}

function closestStandard(name: string, candidates: readonly string[]): { target: string; kind: Likeness } | null {
  let best: { target: string; kind: Likeness; score: number } | null = null;
  for (const target of candidates) {
    const l = likeness(name, target);
    if (l && (best === null || l.score < best.score)) best = { target, ...l };
  }
  return best;
}

/**
 * Checks a file's header against the format's rules: repeated columns, missing required columns,
 * and columns that look like a misspelled, shortened or differently spaced standard column.
 * Problems that change what loads are file-level (`scope: 'file'`); the rest are plain warnings.
 * `renameHint(from, to)` spells the option that fixes a look-alike (e.g. `--rename users.csv:orgs=orgSourcedIds`).
 */
export function checkColumns(
  file: string,
  rules: ColumnRules,
  columns: readonly HeaderColumn[],
  renameHint: (from: string, to: string) => string,
): ColumnCheck {
  const issues: RosterIssue[] = [];
  const renames = new Map<string, string>();
  const standardOf = new Map<string, string>(rules.known.map((k) => [k.toLowerCase(), k]));
  for (const [alias, standard] of Object.entries(rules.aliases ?? {})) standardOf.set(alias, standard);
  const isRead = (standard: string | undefined) => standard !== undefined && rules.read.includes(standard);
  const present = new Set<string>();
  for (const c of columns) {
    const standard = standardOf.get(c.name);
    if (standard) present.add(standard);
  }

  reportRepeats(file, columns, (name) => isRead(standardOf.get(name)), issues);

  // Look-alikes of standard columns the file does not have.
  const missing = rules.known.filter((k) => !present.has(k));
  const lookAlikes = new Map<string, HeaderColumn>();
  for (const c of columns) {
    if (c.name === '' || standardOf.has(c.name) || isExtension(c.name)) continue;
    const hit = closestStandard(c.name, missing);
    if (!hit || lookAlikes.has(hit.target) || present.has(hit.target)) continue;
    if (hit.kind === 'variant') {
      renames.set(c.name, hit.target.toLowerCase());
      present.add(hit.target);
      issues.push({
        file,
        field: c.raw,
        severity: 'warning',
        ...(isRead(hit.target) ? { scope: 'file' as const } : {}),
        message:
          `column "${c.raw}" is read as ${hit.target} (the standard spelling)` +
          (isRead(hit.target) ? `; fix the header, or pass --accept-warnings to import it this way` : ''),
      });
    } else lookAlikes.set(hit.target, c);
  }

  const requiredOrNeeded = [...new Set([...rules.required, ...Object.keys(rules.needed)])];
  for (const column of requiredOrNeeded) {
    if (present.has(column)) continue;
    const alike = lookAlikes.get(column);
    const lost = rules.needed[column];
    // A look-alike of a column that is not needed is reported below, by whether edusage reads it.
    if (alike && lost === undefined) continue;
    lookAlikes.delete(column);
    const hint = alike ? ` Column "${alike.raw}" looks like it: if it is, pass ${renameHint(alike.raw, column)}.` : '';
    issues.push(
      lost !== undefined
        ? {
            file,
            field: column,
            severity: 'error',
            scope: 'file',
            message: `column ${column} is missing${rules.required.includes(column) ? ` (required by ${rules.source})` : ''}: ${lost}.${hint || ' Add the column to the file.'}`,
          }
        : {
            file,
            field: column,
            severity: 'warning',
            message: `column ${column} is missing (required by ${rules.source}; edusage does not need it)`,
          },
    );
  }
  for (const [target, c] of lookAlikes) {
    issues.push(
      isRead(target)
        ? {
            file,
            field: c.raw,
            severity: 'warning',
            scope: 'file',
            message: `column "${c.raw}" looks like ${target}, which the file does not have, so ${target} is not loaded: pass ${renameHint(c.raw, target)} if it is, or --accept-warnings to import without it`,
          }
        : {
            file,
            field: c.raw,
            severity: 'warning',
            message: `column "${c.raw}" looks like ${target} (not read by edusage, so nothing changes)`,
          },
    );
  }
  return { issues, renames };
}

/** A column that appears more than once: file-level when edusage reads it. */
function reportRepeats(
  file: string,
  columns: readonly HeaderColumn[],
  isRead: (name: string) => boolean,
  issues: RosterIssue[],
): void {
  const positions = new Map<string, HeaderColumn[]>();
  for (const c of columns) {
    if (c.name === '') continue;
    positions.set(c.name, [...(positions.get(c.name) ?? []), c]);
  }
  for (const [name, same] of positions) {
    if (same.length < 2) continue;
    const read = isRead(name);
    issues.push({
      file,
      field: same[0]?.raw ?? name,
      severity: 'warning',
      ...(read ? { scope: 'file' as const } : {}),
      message:
        `column ${same[0]?.raw ?? name} appears ${same.length} times (columns ${same.map((c) => c.index + 1).join(', ')}): ` +
        `each row's non-empty value is used and a row whose values differ is rejected` +
        (read ? '; remove the extra column, or pass --accept-warnings to import it this way' : ''),
    });
  }
}
