import { insertRows, type ClickHouseClient } from '@edusage/clickhouse';
import type { ParsedResult } from './result';

/** Rows per INSERT. */
const BATCH = 5000;

/** Writes matched results to `assessment_results` (infra/clickhouse/0300) in batches; nothing raw is written. */
export class ResultWriter {
  private pending: object[] = [];
  written = 0;
  constructor(
    private readonly ch: ClickHouseClient,
    private readonly districtId: string,
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
    });
    if (this.pending.length >= BATCH) await this.flush();
  }

  async flush(): Promise<void> {
    const rows = this.pending;
    this.pending = [];
    await insertRows(this.ch, 'assessment_results', rows);
    this.written += rows.length;
  }
}
