import { erasedPseudonyms } from '@edusage/enrich';
import { insertRows, type ClickHouseClient } from '@edusage/clickhouse';
import type { ParsedResult } from './result';

/** Rows per INSERT. */
const BATCH = 5000;

/**
 * Month partitions per INSERT: current ClickHouse refuses an INSERT block that spans more than
 * `max_partitions_per_insert_block` (100 by default; 18.16 has no such limit, nor the setting), and
 * `assessment_results` is partitioned by month, so a historical file of more than eight years would
 * be refused whole.
 */
export const MONTHS_PER_INSERT = 100;

interface ResultRow {
  district_id: string;
  assessment: string;
  subject: string;
  person_id: string;
  test_date: string;
  score: number;
  window: string;
  standard_error: number | null;
  percentile: number | null;
  projected_growth: number | null;
  grade: string;
  imported_ms: number;
}

/** `rows` cut into groups that each touch at most `maxMonths` months of test_date (YYYY-MM). */
export function byMonthGroups<T extends { test_date: string }>(rows: readonly T[], maxMonths: number): T[][] {
  const byMonth = new Map<string, T[]>();
  for (const row of rows) {
    const month = row.test_date.slice(0, 7);
    const list = byMonth.get(month);
    if (list) list.push(row);
    else byMonth.set(month, [row]);
  }
  const months = [...byMonth.keys()].sort();
  const groups: T[][] = [];
  for (let i = 0; i < months.length; i += maxMonths) {
    groups.push(months.slice(i, i + maxMonths).flatMap((m) => byMonth.get(m) ?? []));
  }
  return groups;
}

/**
 * Writes matched results to `assessment_results` (infra/clickhouse/0300, 0301) in batches; nothing raw is
 * written. Every row carries `importedMs`, the import's start: a later import's results of a student's
 * test day replace the earlier ones in the analyses (usage.ts `dayResults`).
 */
export class ResultWriter {
  private pending: ResultRow[] = [];
  written = 0;
  /** Rows of students erased at the district's request (`enrich people erase`): not stored. */
  erased = 0;
  constructor(
    private readonly ch: ClickHouseClient,
    private readonly districtId: string,
    private readonly importedMs: number,
  ) {}

  async add(r: ParsedResult, personId: string): Promise<void> {
    this.pending.push({
      district_id: this.districtId,
      assessment: r.assessment,
      subject: r.subject,
      person_id: personId,
      test_date: r.testDate,
      score: r.score,
      window: r.window,
      standard_error: r.standardError,
      percentile: r.percentile,
      projected_growth: r.projectedGrowth,
      grade: r.grade,
      imported_ms: this.importedMs,
    });
    if (this.pending.length >= BATCH) await this.flush();
  }

  async flush(): Promise<void> {
    // The list is read right before each INSERT: an erasure recorded during a long import holds from then on.
    const erased = new Set(await erasedPseudonyms(this.ch, this.districtId));
    const rows = this.pending.filter((r) => !erased.has(r.person_id));
    this.erased += this.pending.length - rows.length;
    this.pending = [];
    // Each group is its own INSERT; a crash between two leaves a part of the file stored, and importing
    // it again stores its rows under the new import's time, which then count for every day of the file.
    for (const group of byMonthGroups(rows, MONTHS_PER_INSERT)) await insertRows(this.ch, 'assessment_results', group);
    this.written += rows.length;
  }
}
