#!/usr/bin/env node
import path from 'node:path';
import { Command } from 'commander';
import { checkDistrictId, fail, reportImport, withClickHouse } from './cli-common';
import { importApprovals } from './import';

const program = new Command().name('approvals').description('edusage app approvals (review status, DPA dates)');

program
  .command('import')
  .description('replace the district app approvals with a CSV (bad rows are reported and skipped)')
  .requiredOption('--district <id>', 'district id')
  .argument('<file>', 'approvals CSV (packages/licenses/README.md)')
  .action(async (file: string, o: { district: string }) => {
    try {
      const district = checkDistrictId(o.district);
      reportImport(await withClickHouse((ch) => importApprovals(ch, district, path.resolve(file))));
    } catch (err) {
      fail(err);
    }
  });

program
  .command('check')
  .description('read an approvals CSV and report bad rows, writing nothing')
  .requiredOption('--district <id>', 'district id')
  .argument('<file>', 'approvals CSV')
  .action(async (file: string, o: { district: string }) => {
    try {
      reportImport(await importApprovals(null, checkDistrictId(o.district), path.resolve(file)));
    } catch (err) {
      fail(err);
    }
  });

void program.parseAsync();
