#!/usr/bin/env node
/**
 * `pnpm bench:year`: the main report reads (usage per app for the term, school × app, class × app for
 * a month, the license table) over a school year of a 50,000-student district, against issues 8 and
 * 10's target p95 ≤ 200 ms. Phases: database (dropped and recreated unless --reuse), generation,
 * description of what was generated, compaction (with --compact), timing, and with --newer-day the
 * timing again while the last school day's folds wait above the compaction's marks.
 */
import os from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { Command, InvalidArgumentError, Option } from 'commander';
import {
  createClickHouse,
  dropDatabase,
  ensureDatabase,
  queryRows,
  runMigrations,
  SCHEMA_MIGRATIONS_DIR,
  sqlString,
  type ClickHouseClient,
} from '@edusage/clickhouse';
import {
  compactBenchRollups,
  firstLine,
  MOST_FOLDS_PER_DAY,
  SCHOOL_DAY_MINUTES,
  SHAPE,
  type DistrictShape,
} from '@edusage/licenses/dist/bench/district';
import { addNewerDay, removeNewerDay } from './newer';
import { researchDatabaseOf } from '@edusage/research';
import { loadApiConfig, type ApiConfig } from '../config';
import type { Freshness } from '../freshness';
import { startApiChild } from './api-child';
import { describeData } from './describe';
import { generateYear } from './generate';
import { loadAverage, printHeader, printSummary, printTiming } from './report';
import { getRows, readSpecs, timeRead, type ReadSpec, type Timing, type YearDays } from './requests';

const say = (line: string) => process.stdout.write(line + '\n');

const positiveInt =
  (name: string, most = Number.MAX_SAFE_INTEGER) =>
  (v: string) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1 || n > most)
      throw new InvalidArgumentError(
        most === Number.MAX_SAFE_INTEGER
          ? `${name} must be a whole number ≥ 1`
          : `${name} must be a whole number from 1 to ${most}`,
      );
    return n;
  };

interface Options {
  database: string;
  runs: number;
  batches: number;
  days: number;
  reuse?: boolean;
  direct?: boolean;
  compact?: boolean;
  newerDay?: boolean;
  newerFolds?: number;
  newerMinutes?: number;
  freshness: Freshness;
}

function options(): Options {
  const command = new Command()
    .name('bench-year')
    .option('--database <name>', 'ClickHouse database of the benchmark (dropped and recreated)', 'edusage_bench_year')
    .option('--runs <n>', 'timed runs per read (after one warm-up)', positiveInt('--runs'), 9)
    .option('--batches <n>', 'sink batches (folds) per Kafka partition per school day', positiveInt('--batches'), 8)
    .option(
      '--newer-folds <n>',
      `with --newer-day: the newer day's folds per partition, its use unchanged (default: --batches; up to ${MOST_FOLDS_PER_DAY}, one every 5 s as the sink's default interval)`,
      positiveInt('--newer-folds', MOST_FOLDS_PER_DAY),
    )
    .option(
      '--newer-minutes <n>',
      `with --newer-day: only the newer day's last n minutes of use are above the marks (as n minutes after a compaction; default: the whole day, ${SCHOOL_DAY_MINUTES})`,
      positiveInt('--newer-minutes', SCHOOL_DAY_MINUTES),
    )
    .option(
      '--days <n>',
      'school days generated (fewer for a quick try; --reuse reads the days generated)',
      positiveInt('--days'),
      SHAPE.schoolDays,
    )
    .addOption(
      new Option('--freshness <mode>', 'the reads as of the compactions (the API default) or live')
        .choices(['live', 'compacted'])
        .default('compacted'),
    )
    .option('--reuse', 'keep the data of an earlier run (--batches and --days are then those it generated)')
    .option('--direct', 'call the functions the endpoints call, in this process, instead of HTTP requests to the API')
    .option('--compact', 'compact the rollups (@edusage/rollups) before timing, as the jobs service does hourly')
    .option(
      '--newer-day',
      'then time the reads again with the last school day also folded after the compaction (the current month being written)',
    )
    .parse();
  const o = command.opts<Options>();
  if (!o.newerDay && (o.newerFolds !== undefined || o.newerMinutes !== undefined))
    command.error('error: --newer-folds and --newer-minutes go with --newer-day');
  return o;
}

/**
 * The periods read, from the generated days (so --reuse reads what an earlier run generated): the
 * term (all its school days), October (or the first month of a short year), one school, the as-of day.
 */
async function yearDays(ch: ClickHouseClient, districtId: string): Promise<YearDays> {
  const days = (
    await queryRows<{ d: string }>(
      ch,
      `SELECT DISTINCT toString(local_date) AS d FROM rollup_district_app_daily_parts
       WHERE district_id = ${sqlString(districtId)} ORDER BY d`,
    )
  ).map((r) => r.d);
  if (days.length === 0) throw new Error(`district ${districtId} has no usage: run without --reuse first`);
  const first = days[0]!;
  const last = days[days.length - 1]!;
  const month = days.some((d) => d.startsWith('2025-10')) ? '2025-10' : first.slice(0, 7);
  const inMonth = days.filter((d) => d.startsWith(month));
  return {
    districtId,
    term: { from: first, to: last },
    month: { from: inMonth[0]!, to: inMonth[inMonth.length - 1]! },
    schoolId: 'sch-0',
    asOf: last,
    schoolDays: days.length,
  };
}

/** Times each read, printing its line as it is measured: over HTTP against the API child, or --direct. */
async function timeReads(specs: ReadSpec[], o: Options, ch: ClickHouseClient, config: ApiConfig): Promise<Timing[]> {
  const timings: Timing[] = [];
  const timeEach = async (run: (s: ReadSpec) => Promise<number>, why: (err: unknown) => Promise<string> | string) => {
    for (const s of specs) {
      const t = await timeRead(s.name, o.runs, () => run(s), why);
      printTiming(t);
      timings.push(t);
    }
  };
  if (o.direct) {
    printHeader('in process: the functions the API endpoints call', o.runs);
    await timeEach((s) => s.direct(ch), firstLine);
    return timings;
  }
  const api = await startApiChild(config, SHAPE.districtId);
  try {
    printHeader(`over HTTP: the built API (dist/main.js, pid ${api.pid}) as a child process`, o.runs);
    // The API logs the failure as it answers: give its log line a moment to arrive.
    const why = async (err: unknown) => {
      await sleep(500);
      return `${firstLine(err).slice(0, 8)}; the API logged: ${firstLine(api.lastLoggedError())}`;
    };
    await timeEach((s) => getRows(api.url, api.token, s.path), why);
  } finally {
    await api.stop();
  }
  return timings;
}

async function main(): Promise<void> {
  const o = options();
  const shape: DistrictShape = { ...SHAPE, schoolDays: o.days };
  const config = loadApiConfig({ ...process.env, CLICKHOUSE_DATABASE: o.database, LOG_LEVEL: 'warn' });
  say(`bench:year on ${o.database}, ${os.cpus().length} cores, load average ${loadAverage()}`);
  if (!o.reuse) {
    await dropDatabase(config);
    // The API creates <database>_research when it starts: it goes with the benchmark's database.
    await dropDatabase({ ...config, CLICKHOUSE_DATABASE: researchDatabaseOf(config) });
  }
  await ensureDatabase(config);
  const ch = createClickHouse(config);
  try {
    await runMigrations(ch, SCHEMA_MIGRATIONS_DIR);
    if (!o.reuse) await generateYear(ch, shape, o.batches);
    await describeData(ch);
    if (o.compact) await compactBenchRollups(ch, say);
    const y = await yearDays(ch, shape.districtId);
    say(
      `reads: term ${y.term.from}..${y.term.to} (${y.schoolDays} school days), month ${y.month.from}..${y.month.to}, school ${y.schoolId}, as of ${y.asOf}`,
    );
    const specs = readSpecs(y, o.freshness);
    for (const s of specs) say(`  ${s.name}: GET ${s.path}`);
    const loadBefore = loadAverage();
    const timings = await timeReads(specs, o, ch, config);
    printSummary(timings);
    say(`load average before timing ${loadBefore}, after ${loadAverage()}`);
    if (o.newerDay) {
      const folds = o.newerFolds ?? o.batches;
      const added = await addNewerDay(ch, y.asOf, { batches: o.batches, folds, lastMinutes: o.newerMinutes }, shape);
      try {
        const use = o.newerMinutes === undefined ? '' : ` (its last ${o.newerMinutes} minutes of use)`;
        say(
          `\nwith ${y.asOf}${use} folded again after the compaction, ${folds} folds a partition a day (${added.rows} contribution rows above its marks, all levels; ${Math.round(added.perDistrictCell)} a district cell), as while the current month is written:`,
        );
        printSummary(await timeReads(specs, o, ch, config));
      } finally {
        await removeNewerDay(ch);
      }
    }
  } finally {
    await ch.close();
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.stack : String(err));
  process.exitCode = 1;
});
