#!/usr/bin/env node
import path from 'node:path';
import { Command, Option } from 'commander';
import { loadConfig } from '@edusage/config';
import { districtToday, districtZoneSettings } from '@edusage/enrich';
import { z } from 'zod';
import { checkDistrictId, fail, reportImport, reportNames, withClickHouse } from './cli-common';
import { importLicenses } from './import';
import { DEFAULT_THRESHOLDS, type FlagThresholds } from './metrics';
import { renderLicenseCsv, renderLicenseJson, renderLicenseTable } from './render';
import { buildLicenseReport, licensesAndWindow } from './report';

/** `--threshold highCost=2000`: one flag threshold (metrics.ts FlagThresholds). */
function threshold(spec: string, acc: Partial<FlagThresholds>): Partial<FlagThresholds> {
  const [name, value] = spec.split('=');
  if (!name || !(name in DEFAULT_THRESHOLDS) || value === undefined || !Number.isFinite(Number(value))) {
    throw new Error(
      `--threshold: expected <name>=<number> with name one of ${Object.keys(DEFAULT_THRESHOLDS).join(', ')}`,
    );
  }
  return { ...acc, [name]: Number(value) };
}

const program = new Command().name('licenses').description('edusage license inventory: import, check, report');

program
  .command('import')
  .description('replace the district license inventory with a CSV (bad rows are reported and skipped)')
  .requiredOption('--district <id>', 'district id')
  .argument('<file>', 'licenses CSV (packages/licenses/README.md)')
  .action(async (file: string, o: { district: string }) => {
    try {
      const district = checkDistrictId(o.district);
      reportImport(await withClickHouse((ch) => importLicenses(ch, district, path.resolve(file))));
    } catch (err) {
      fail(err);
    }
  });

program
  .command('check')
  .description('read a licenses CSV and report bad rows, writing nothing')
  .requiredOption('--district <id>', 'district id (a scope equal to it is district-wide)')
  .argument('<file>', 'licenses CSV')
  .action(async (file: string, o: { district: string }) => {
    try {
      reportImport(await importLicenses(null, checkDistrictId(o.district), path.resolve(file)));
    } catch (err) {
      fail(err);
    }
  });

program
  .command('report')
  .description('seats, active users, utilization, reach, idle cost, cost per active user, EPI, flags and lists')
  .requiredOption('--district <id>', 'district id')
  .option('--window <window>', '7d | 30d | 90d | <n>d | term | YYYY-MM-DD..YYYY-MM-DD', '30d')
  .option(
    '--as-of <date>',
    "last day of the window (YYYY-MM-DD; default: today in the district's zone, DISTRICT_TIMEZONES / DEFAULT_TIMEZONE)",
  )
  .addOption(new Option('--format <format>', 'output format').choices(['table', 'csv', 'json']).default('table'))
  .option('--threshold <name=value>', 'a flag threshold (repeatable)', threshold, {})
  .action(
    async (o: {
      district: string;
      window: string;
      asOf?: string;
      format: string;
      threshold: Partial<FlagThresholds>;
    }) => {
      try {
        const district = checkDistrictId(o.district);
        const asOf = o.asOf ?? districtToday(loadConfig(z.object(districtZoneSettings)), district);
        const text = await withClickHouse(async (ch) => {
          const { licenses, window: w } = await licensesAndWindow(ch, district, o.window, asOf);
          const report = await buildLicenseReport(ch, w, { ...DEFAULT_THRESHOLDS, ...o.threshold }, licenses);
          if (o.format === 'csv') return renderLicenseCsv(report);
          if (o.format === 'json') return renderLicenseJson(report);
          return renderLicenseTable(report, await reportNames(ch, district));
        });
        process.stdout.write(text.endsWith('\n') ? text : text + '\n');
      } catch (err) {
        fail(err);
      }
    },
  );

void program.parseAsync();
