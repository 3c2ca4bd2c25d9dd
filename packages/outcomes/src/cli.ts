#!/usr/bin/env node
import path from 'node:path';
import { Command, Option } from 'commander';
import { checkDistrictId, fail, loadConfig, loadMatcher, withClickHouse } from './cli-common';
import { formatSummary, importAssessments } from './import';
import { parseAssignments, PRESET_NAMES, type GenericMapping, type PresetName } from './presets';

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

void program.parseAsync();
