import type { ColumnSpec } from '@edusage/licenses';
import { normalizeSubject, type RowOutcome } from '../result';

/** Options the command line gives a preset (a subject for files that do not name it, a mapping for `generic`). */
export interface PresetOptions {
  subject?: string;
  /** Ed-Fi: the score result (assessmentReportingMethod) to read, e.g. "Scale score". */
  scoreMethod?: string;
}

/** How one CSV layout reads: its columns, which are required, and how a row becomes a result. */
export interface CsvPreset {
  name: string;
  description: string;
  columns: ColumnSpec;
  required: readonly string[];
  /** Checked once against the header's fields: a reason to refuse the file, or the row parser. */
  prepare(present: Set<string>, options: PresetOptions): { ok: true; parse: RowParser } | { ok: false; reason: string };
  delimiter?: string;
}

export type RowParser = (values: Map<string, string>) => RowOutcome;

/**
 * --subject wins (normalized like the subjects files name: `Math` → math); else what the header tells;
 * else the file is refused with a clear reason.
 */
export function subjectFrom(
  options: PresetOptions,
  inferred: string | null,
  how: string,
): { ok: true; subject: string } | { ok: false; reason: string } {
  if (options.subject?.trim()) return { ok: true, subject: normalizeSubject(options.subject) };
  if (inferred) return { ok: true, subject: inferred };
  return { ok: false, reason: `the file does not name its subject (${how}): pass --subject` };
}
