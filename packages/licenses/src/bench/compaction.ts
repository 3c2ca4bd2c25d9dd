import type { ClickHouseClient } from '@edusage/clickhouse';
import { compactRollups, type MonthCompactionResult } from '@edusage/rollups';
import { timed } from './timing';

/**
 * Compacts a generated district's rollups as the jobs service's rollup-compaction does, printing
 * progress and what it merged. Data generated without watermarks (bench:licenses) first gets them, as
 * the sink records them after folding: every generated range is final.
 */
export async function compactBenchRollups(ch: ClickHouseClient, say: (line: string) => void): Promise<void> {
  await ch.command({
    query: `INSERT INTO rollup_watermarks (kafka_topic, kafka_partition, derived_to, derived_at)
      SELECT kafka_topic, kafka_partition, max(range_end), now() FROM rollup_school_app_daily_parts
      WHERE (SELECT count() FROM rollup_watermarks) = 0 GROUP BY kafka_topic, kafka_partition`,
  });
  const { ms, value: months } = await timed(() =>
    compactRollups(ch, { onMonth: (r) => process.stdout.write(`\rcompaction: month ${r.month} `) }),
  );
  const written = months.filter((m) => m.generation !== null);
  const sum = (level: 'district' | 'school' | 'class', f: (m: MonthCompactionResult) => Record<string, number>) =>
    written.reduce((a, m) => a + f(m)[level]!, 0);
  const levels = (['district', 'school', 'class'] as const)
    .map((l) => `${l} ${sum(l, (m) => m.contributions)} → ${sum(l, (m) => m.cells)}`)
    .join(', ');
  say(
    `\rcompaction: ${written.length} of ${months.length} months rewritten in ${(ms / 1000).toFixed(1)} s; ` +
      `contribution rows → cells: ${levels}`,
  );
}
