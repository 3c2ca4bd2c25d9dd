#!/usr/bin/env node
import path from 'node:path';
import { Command, Option } from 'commander';
import { checkDistrictId, fail, loadConfig, loadMatcher, withClickHouse } from './cli-common';
import { analyze, renderAnalysisCsv, renderAnalysisJson, renderAnalysisTable } from './analysis';
import { parseGoals } from './bands';
import { formatSummary, importAssessments } from './import';
import { parseAssignments, PRESET_NAMES, type GenericMapping, type PresetName } from './presets';
import { registerWithdrawCommands } from './withdraw-commands';

const program = new Command('outcomes').description('assessment results and their relation to app usage');

program
  .command('import')
  .description('import an assessment export; students are matched to the roster and stored only as their pseudonym')
  .argument('<file>', 'the export (CSV; Ed-Fi: .xml interchange, .json array or .ndjson)')
  .requiredOption('--district <id>', 'district id')
  .addOption(new Option('--preset <name>', 'file layout').choices([...PRESET_NAMES]).makeOptionMandatory())
  .option('--subject <subject>', 'subject, for files that do not name it (Star, i-Ready, Ed-Fi)')
  .option('--score-method <name>', 'Ed-Fi: the score result to read (default: Scale score, Vertical score, …)')
  .option('--column <field=Header,…>', 'generic: which column holds each field')
  .option(
    '--constant <field=value,…>',
    'generic: one value for every row (assessment, subject, testDate, window, grade)',
  )
  .option('--scale <min-max>', 'generic: the score scale; scores outside are rejected')
  .option('--delimiter <char>', 'generic: cell delimiter ("tab" for tab-delimited)')
  .option('--check', 'read and match only, write nothing')
  .action(async (file: string, o: ImportCliOptions) => {
    try {
      const districtId = checkDistrictId(o.district);
      const config = loadConfig();
      const matcher = await loadMatcher(config, districtId);
      const request = {
        districtId,
        file: path.resolve(file),
        preset: o.preset,
        options: {
          ...(o.subject ? { subject: o.subject } : {}),
          ...(o.scoreMethod ? { scoreMethod: o.scoreMethod } : {}),
        },
        ...(o.preset === 'generic' ? { mapping: genericMapping(o) } : {}),
        matcher,
      };
      const summary = o.check
        ? await importAssessments({ ...request, ch: null })
        : await withClickHouse(config, (ch) => importAssessments({ ...request, ch }));
      console.log(formatSummary(summary));
      process.exitCode = summary.refused ? 3 : summary.rejected > 0 ? 2 : 0;
    } catch (err) {
      fail(err);
    }
  });

interface ImportCliOptions {
  district: string;
  preset: PresetName;
  subject?: string;
  scoreMethod?: string;
  column?: string;
  constant?: string;
  scale?: string;
  delimiter?: string;
  check?: boolean;
}

function genericMapping(o: ImportCliOptions): GenericMapping {
  const scale = o.scale ? /^(-?[\d.]+)-(-?[\d.]+)$/.exec(o.scale) : null;
  if (o.scale && !scale) throw new Error(`--scale: expected <min>-<max>, got ${JSON.stringify(o.scale)}`);
  return {
    columns: parseAssignments(o.column ?? '', '--column'),
    constants: parseAssignments(o.constant ?? '', '--constant'),
    ...(scale ? { scale: { min: Number(scale[1]), max: Number(scale[2]) } } : {}),
    ...(o.delimiter ? { delimiter: o.delimiter === 'tab' ? '\t' : o.delimiter } : {}),
  };
}

program
  .command('analyze')
  .description(
    'usage of one app against growth on one assessment, per dosage band, school, class, grade, on/off campus',
  )
  .requiredOption('--district <id>', 'district id')
  .requiredOption('--app <id>', 'app id')
  .requiredOption('--assessment <name>', 'assessment, e.g. map_growth, iready_diagnostic')
  .requiredOption('--subject <subject>', 'subject, e.g. math, reading')
  .requiredOption('--from <YYYY-MM-DD>', 'first day of the testing window')
  .requiredOption('--to <YYYY-MM-DD>', 'last day of the testing window')
  .option('--goal <app=min,…>', 'weekly goal in engaged minutes per app (default 30)')
  .option('--k <n>', 'smallest published cell', '10')
  .option('--min-pair-days <n>', 'least days between a pre and a post test (default 14)')
  .addOption(new Option('--format <format>', 'output').choices(['table', 'csv', 'json']).default('table'))
  .action(async (o: AnalyzeCliOptions) => {
    try {
      const districtId = checkDistrictId(o.district);
      const k = Number(o.k);
      if (!Number.isInteger(k) || k < 1)
        throw new Error(`--k: expected a whole number ≥ 1, got ${JSON.stringify(o.k)}`);
      const goal = o.goal ? parseGoals(o.goal).get(o.app) : undefined;
      const minPairDays = o.minPairDays === undefined ? undefined : Number(o.minPairDays);
      if (minPairDays !== undefined && (!Number.isInteger(minPairDays) || minPairDays < 1 || minPairDays > 365))
        throw new Error(`--min-pair-days: expected a whole number 1-365, got ${JSON.stringify(o.minPairDays)}`);
      const config = loadConfig();
      const query = {
        districtId,
        app: o.app,
        assessment: o.assessment,
        subject: o.subject,
        from: o.from,
        to: o.to,
        ...(minPairDays !== undefined ? { minPairDays } : {}),
      };
      const a = await withClickHouse(config, (ch) => analyze(ch, { ...query, k, ...(goal ? { goal } : {}) }));
      const render = { table: renderAnalysisTable, csv: renderAnalysisCsv, json: renderAnalysisJson }[o.format];
      process.stdout.write(render(a) + '\n');
    } catch (err) {
      fail(err);
    }
  });

interface AnalyzeCliOptions {
  district: string;
  app: string;
  assessment: string;
  subject: string;
  from: string;
  to: string;
  goal?: string;
  k: string;
  minPairDays?: string;
  format: 'table' | 'csv' | 'json';
}

registerWithdrawCommands(program);

void program.parseAsync();
