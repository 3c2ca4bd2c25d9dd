import path from 'node:path';
import type { ClickHouseClient } from '@edusage/clickhouse';
import { readCsvRecords, unreadableRows } from '@edusage/licenses';
import {
  CSV_PRESETS,
  genericPreset,
  edfiParser,
  readEdFiJson,
  readEdFiXml,
  type CsvPreset,
  type GenericMapping,
  type PresetName,
  type PresetOptions,
} from './presets';
import type { RowIssue, RowOutcome } from './result';
import type { RosterMatcher } from './roster-match';
import { ResultWriter } from './store';

export interface ImportRequest {
  districtId: string;
  file: string;
  preset: PresetName;
  options?: PresetOptions;
  /** Required for the generic preset. */
  mapping?: GenericMapping;
  matcher: RosterMatcher;
  /** null = check the file only, write nothing. */
  ch: ClickHouseClient | null;
}

export interface ImportSummary {
  file: string;
  preset: PresetName;
  /** Data rows (or Ed-Fi StudentAssessments) read. */
  rows: number;
  /** Valid rows whose student is in the roster: stored (or, in a check, storable). */
  stored: number;
  /** Rows with a bad field: reported in `issues` and skipped. */
  rejected: number;
  /** Valid rows whose student the roster does not have: counted, never stored. */
  unmatched: number;
  /**
   * Valid rows whose keys name different roster students, or only a key two students share: counted,
   * reported in `issues` with their line, never stored.
   */
  ambiguous: number;
  /** Valid rows of students erased at the district's request (`enrich people erase`): never stored. */
  erased: number;
  issues: RowIssue[];
  /** Why nothing was read (missing columns, unknown subject); null when the file was read. */
  refused: string | null;
}

export interface Item {
  line: number;
  outcome: RowOutcome;
}

/**
 * Streams an assessment file through its preset, matches each valid row's student to the roster and
 * stores the result under the student's pseudonym. Every bad row is reported (file, line, field) and
 * skipped; the rows beside it are kept. The results of a student's test day that this import stores
 * replace those of earlier imports (a corrected file); re-importing a file changes nothing else.
 */
export async function importAssessments(req: ImportRequest): Promise<ImportSummary> {
  const name = path.basename(req.file);
  const s: ImportSummary = {
    file: name,
    preset: req.preset,
    rows: 0,
    stored: 0,
    rejected: 0,
    unmatched: 0,
    ambiguous: 0,
    erased: 0,
    issues: [],
    refused: null,
  };
  const writer = req.ch ? new ResultWriter(req.ch, req.districtId, Date.now()) : null;
  for await (const item of readAssessmentRows(req, s)) {
    s.rows++;
    if (!item.outcome.ok) {
      s.rejected++;
      for (const p of item.outcome.problems)
        s.issues.push({ file: name, line: item.line, field: p.field, message: p.message });
      continue;
    }
    const match = req.matcher.match(item.outcome.result.student);
    if (!match.ok) {
      if (match.reason === 'ambiguous') {
        s.ambiguous++;
        s.issues.push({ file: name, line: item.line, message: match.message });
      } else s.unmatched++;
      continue;
    }
    s.stored++;
    await writer?.add(item.outcome.result, match.personId);
  }
  await writer?.flush();
  if (writer) {
    s.erased = writer.erased;
    s.stored -= writer.erased;
  }
  return s;
}

/**
 * Each row (or Ed-Fi StudentAssessment) of the file with its line and outcome, read through its preset.
 * File-level problems go to `s.issues` (and `s.refused` when nothing can be read).
 */
export async function* readAssessmentRows(
  req: Pick<ImportRequest, 'file' | 'preset' | 'options' | 'mapping'>,
  s: Pick<ImportSummary, 'file' | 'issues' | 'refused' | 'rejected'>,
): AsyncGenerator<Item> {
  const options = req.options ?? {};
  if (req.preset === 'edfi') {
    const reader = /\.xml$/i.test(req.file) ? readEdFiXml(req.file) : readEdFiJson(req.file);
    const parse = edfiParser(options); // one per file: its records share one score method
    for await (const item of reader) {
      if ('error' in item) {
        s.issues.push({ file: s.file, line: item.line, message: item.error });
        if (item.line === 0) s.refused = item.error;
        else s.rejected++;
        continue;
      }
      yield { line: item.line, outcome: parse(item.record, item.line) };
    }
    return;
  }
  const preset = req.preset === 'generic' ? genericPreset(needMapping(req.mapping)) : CSV_PRESETS[req.preset]!;
  yield* readCsvItems(preset, req.file, options, s);
}

function needMapping(m: GenericMapping | undefined): GenericMapping {
  if (!m) throw new Error('the generic preset needs a column mapping (--column field=Header, …)');
  return m;
}

async function* readCsvItems(
  preset: CsvPreset,
  file: string,
  options: PresetOptions,
  s: Pick<ImportSummary, 'file' | 'issues' | 'refused' | 'rejected'>,
): AsyncGenerator<Item> {
  let parse: ((values: Map<string, string>) => RowOutcome) | null = null;
  const onHeader = (present: Set<string>, repeated: string[]) => {
    const missing = preset.required.filter((f) => !present.has(f));
    const prepared = preset.prepare(present, options);
    if (missing.length > 0)
      s.refused = `missing required column(s): ${missing.map((f) => preset.columns[f]!.join(' / ')).join(', ')}`;
    else if (repeated.length > 0) s.refused = `column(s) given twice: ${repeated.join(', ')}`;
    else if (!prepared.ok) s.refused = prepared.reason;
    else parse = prepared.parse;
    if (s.refused) s.issues.push({ file: s.file, line: 1, message: s.refused });
  };
  const headerName = (field: string) => preset.columns[field]?.[0] ?? field;
  // The reader's issues go to their own list first: each line it could not read is a rejected row.
  const readerIssues: RowIssue[] = [];
  const records = readCsvRecords(
    file,
    preset.columns,
    onHeader,
    readerIssues,
    preset.delimiter ? { delimiter: preset.delimiter } : {},
  );
  const takeReaderIssues = () => {
    s.rejected += unreadableRows(readerIssues);
    s.issues.push(...readerIssues.splice(0));
  };
  try {
    for await (const rec of records) {
      if (parse === null) return; // refused at the header: read nothing
      takeReaderIssues();
      const outcome = (parse as (values: Map<string, string>) => RowOutcome)(rec.values);
      yield {
        line: rec.line,
        outcome: outcome.ok
          ? outcome
          : { ok: false, problems: outcome.problems.map((p) => ({ ...p, field: headerName(p.field) })) },
      };
    }
  } finally {
    takeReaderIssues();
  }
}

/** The summary as the command prints it. */
export function formatSummary(s: ImportSummary, maxIssues = 50): string {
  const lines = [
    s.refused
      ? `${s.file} (${s.preset}): refused, nothing stored: ${s.refused}`
      : `${s.file} (${s.preset}): ${s.rows} rows read, ${s.stored} stored, ${s.rejected} rejected, ` +
        `${s.unmatched} students not in the roster, ${s.ambiguous} ambiguous` +
        (s.erased > 0 ? `, ${s.erased} of erased students` : '') +
        ' (not stored)',
  ];
  for (const i of s.issues.slice(0, maxIssues))
    lines.push(`  ${i.file}:${i.line}${i.field ? ` ${i.field}` : ''}: ${i.message}`);
  if (s.issues.length > maxIssues) lines.push(`  … and ${s.issues.length - maxIssues} more`);
  return lines.join('\n');
}
