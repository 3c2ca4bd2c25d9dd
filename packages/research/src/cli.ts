#!/usr/bin/env node
/**
 * `research export`: a research table or a SELECT over the research database as CSV or Parquet.
 * `research refresh`: rebuilds the week holding a day, and its school year's outcome bands once that
 * year has settled (a rebuild by hand; the jobs service publishes settled periods once, daily).
 * Connection: CLICKHOUSE_URL, CLICKHOUSE_USER, CLICKHOUSE_PASSWORD (use the researcher's for exports),
 * RESEARCH_DATABASE (default <CLICKHOUSE_DATABASE>_research).
 */
import { Command, Option } from 'commander';
import { z } from 'zod';
import { baseConfigSchema, loadConfig } from '@edusage/config';
import { createClickHouse } from '@edusage/clickhouse';
import { exportResearch, type ExportSource } from './export/export';
import { parseGoals } from './outcome-bands';
import { rebuildByHand } from './publish';
import { researchDatabaseOf } from './research-database';
import { ensureResearchSchema } from './schema';
import { DEFAULT_K, checkK } from './suppression';

const configSchema = baseConfigSchema.extend({ RESEARCH_DATABASE: z.string().default('') });

function fail(err: unknown): void {
  console.error(err instanceof Error ? err.message : String(err));
  process.exitCode = 1;
}

const positive = (flag: string) => (v: string) => {
  if (!/^\d+$/.test(v) || Number(v) < 1) throw new Error(`${flag}: not a whole number ≥ 1: ${v}`);
  return Number(v);
};

const whole = (flag: string) => (v: string) => {
  if (!/^\d+$/.test(v)) throw new Error(`${flag}: not a whole number: ${v}`);
  return Number(v);
};

const program = new Command().name('research').description('edusage research database: exports and refresh');

program
  .command('export')
  .description('write a research table, or a SELECT over the research database, as CSV or Parquet')
  .option('--table <name>', 'a research table')
  .option('--query <sql>', 'a SELECT over the research database (a report)')
  .addOption(new Option('--format <format>', 'output format').choices(['csv', 'parquet']).makeOptionMandatory())
  .requiredOption('--out <file>', 'output file')
  .option('--row-group-rows <n>', 'rows per Parquet row group (memory bound)', positive('--row-group-rows'))
  .action(
    async (o: { table?: string; query?: string; format: 'csv' | 'parquet'; out: string; rowGroupRows?: number }) => {
      try {
        if ((o.table === undefined) === (o.query === undefined))
          throw new Error('give exactly one of --table or --query');
        const source: ExportSource = o.table !== undefined ? { table: o.table } : { query: o.query! };
        const config = loadConfig(configSchema);
        const ch = createClickHouse(config, researchDatabaseOf(config));
        try {
          const r = await exportResearch(ch, source, o.format, o.out, { rowGroupRows: o.rowGroupRows });
          console.log(`${r.rows} rows, ${r.columns.length} columns → ${o.out}`);
        } finally {
          await ch.close();
        }
      } catch (err) {
        fail(err);
      }
    },
  );

program
  .command('refresh')
  .description(
    'rebuild the weekly research tables for the week holding a settled day, and its school year of outcome bands if that year has settled',
  )
  .requiredOption('--day <YYYY-MM-DD>', 'any day of the week')
  .option('--k <k>', `suppression threshold (≥ 5, default ${DEFAULT_K})`, positive('--k'), DEFAULT_K)
  .option('--goal <app=min,…>', 'weekly goals of the outcome bands in engaged minutes per app (default 30)', '')
  .option(
    '--settle-weeks <n>',
    'weeks a week (and a school year after June 30) must be over before it may be written',
    whole('--settle-weeks'),
    2,
  )
  .action(async (o: { day: string; k: number; goal: string; settleWeeks: number }) => {
    try {
      const config = loadConfig(configSchema);
      const researchDb = researchDatabaseOf(config);
      await ensureResearchSchema(config, researchDb);
      const ch = createClickHouse(config);
      try {
        const today = new Date().toISOString().slice(0, 10); // UTC: the settle weeks' two-day margin covers any zone
        const r = await rebuildByHand(ch, researchDb, {
          day: o.day,
          today,
          settleWeeks: o.settleWeeks,
          settleSetting: '--settle-weeks',
          k: checkK(o.k),
          goals: parseGoals(o.goal),
        });
        for (const week of r.weeks) {
          console.log(`week ${week.week_start}: ${JSON.stringify(week.rows)}`);
          for (const t of week.kept) console.log(`kept the previous ${t.table} of the week: ${t.reason}`);
        }
        for (const [year, rows] of Object.entries(r.outcomeBands)) console.log(`outcome bands ${year}: ${rows} rows`);
        if (r.unsettledYear !== null) {
          console.log(
            `outcome bands ${r.unsettledYear}: not rebuilt, the school year has not settled (bands are published once, ${o.settleWeeks} weeks after June 30)`,
          );
        }
      } finally {
        await ch.close();
      }
    } catch (err) {
      fail(err);
    }
  });

void program.parseAsync();
