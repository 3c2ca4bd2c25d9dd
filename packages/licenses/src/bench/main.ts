#!/usr/bin/env node
/**
 * `pnpm bench:licenses`: generates a 50,000-student district with a school year of rollups in a
 * ClickHouse database of its own (SHAPE in shape.ts), then times the license report (what
 * `licenses report` does once connected: window, report, table) for the 30d, 90d and term windows.
 */
import { Command } from 'commander';
import { baseConfigSchema, loadConfig } from '@edusage/config';
import {
  createClickHouse,
  dropDatabase,
  ensureDatabase,
  queryRows,
  runMigrations,
  type ClickHouseClient,
  SCHEMA_MIGRATIONS_DIR,
} from '@edusage/clickhouse';
import type { Window } from '../queries';
import { renderLicenseTable } from '../render';
import { buildLicenseReport, reportWindow } from '../report';
import { importInventory } from './inventory';
import { timeReportQueries } from './queries-timed';
import { generateRollups, LICENSE_BENCH_GENERATION } from './rollups';
import { compactBenchRollups } from './compaction';
import { generateRoster } from './roster';
import { schoolDays, SHAPE } from './shape';
import { firstLine, ms, percentile, timed } from './timing';

const say = (line: string) => process.stdout.write(line + '\n');

async function generate(ch: ClickHouseClient): Promise<void> {
  const { ms: rosterMs } = await timed(() => generateRoster(ch));
  say(
    `roster: ${SHAPE.schools} schools, ${SHAPE.classes} classes, ${SHAPE.students} students, ${SHAPE.teachers} teachers (${ms(rosterMs)})`,
  );
  const { ms: rollupMs } = await timed(() =>
    generateRollups(
      ch,
      (done) => process.stdout.write(`\rrollups: ${done}/${SHAPE.schoolDays} school days`),
      LICENSE_BENCH_GENERATION,
    ),
  );
  say(` (${(rollupMs / 1000).toFixed(0)} s)`);
  await importInventory(ch);
}

async function counts(ch: ClickHouseClient): Promise<string> {
  const [r] = await queryRows<Record<string, string>>(
    ch,
    `SELECT
       (SELECT count() FROM rollup_school_app_daily_parts) AS rollup_rows,
       (SELECT sumMerge(events) FROM rollup_school_app_daily_parts) AS events,
       (SELECT count() FROM dim_people_current) AS people,
       (SELECT count() FROM licenses_current) AS licenses`,
  );
  return Object.entries(r!)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
}

async function printQueryTimes(ch: ClickHouseClient, w: Window): Promise<void> {
  const parts = await timeReportQueries(ch, w);
  say(`       queries one by one: ${parts.map(([n, t]) => `${n} ${typeof t === 'number' ? ms(t) : t}`).join(', ')}`);
}

async function main(): Promise<void> {
  const o = new Command()
    .name('bench-licenses')
    .option(
      '--database <name>',
      'ClickHouse database of the benchmark (dropped and recreated)',
      'edusage_bench_licenses',
    )
    .option('--runs <n>', 'timed runs per window (after one warm-up)', '9')
    .option('--reuse', 'keep the generated data of an earlier run')
    .option('--compact', 'compact the rollups (@edusage/rollups) before timing, as the jobs service does hourly')
    .parse()
    .opts<{ database: string; runs: string; reuse?: boolean; compact?: boolean }>();
  const config = loadConfig(baseConfigSchema, { ...process.env, CLICKHOUSE_DATABASE: o.database });
  if (!o.reuse) await dropDatabase(config);
  await ensureDatabase(config);
  const ch = createClickHouse(config);
  try {
    await runMigrations(ch, SCHEMA_MIGRATIONS_DIR);
    if (!o.reuse) await generate(ch);
    say(`data: ${await counts(ch)}`);
    if (o.compact) await compactBenchRollups(ch, say);
    const days = schoolDays();
    const asOf = days[days.length - 1]!;
    say(`report of district ${SHAPE.districtId} as of ${asOf}, ${o.runs} runs per window after a warm-up:`);
    for (const spec of ['30d', '90d', 'term']) {
      const run = async () => {
        const w = await reportWindow(ch, SHAPE.districtId, spec, asOf);
        const report = await buildLicenseReport(ch, w);
        return { w, report, text: renderLicenseTable(report) };
      };
      let warm: Awaited<ReturnType<typeof run>>;
      try {
        warm = await run();
      } catch (err) {
        say(`  ${spec.padEnd(4)} failed: ${firstLine(err)}`);
        await printQueryTimes(ch, await reportWindow(ch, SHAPE.districtId, spec, asOf));
        continue;
      }
      const samples: number[] = [];
      for (let i = 0; i < Number(o.runs); i++) samples.push((await timed(run)).ms);
      const { w, report } = warm;
      say(
        `  ${spec.padEnd(4)} ${w.from}..${w.to}: p50 ${ms(percentile(samples, 0.5))}, p95 ${ms(percentile(samples, 0.95))}, ` +
          `max ${ms(Math.max(...samples))} — ${report.licenses.length} licenses, ${report.schools.length} school rows, ` +
          `${report.trend.length} trend rows, ${report.licenses.reduce((a, l) => a + l.active, 0)} active (Σ per license)`,
      );
      await printQueryTimes(ch, w);
    }
  } finally {
    await ch.close();
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.stack : String(err));
  process.exitCode = 1;
});
