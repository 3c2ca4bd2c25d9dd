#!/usr/bin/env node
import { Command, InvalidArgumentError } from 'commander';
import { generateDistrict } from './generate';
import { DEFAULTS } from './options';
import { writeDistrict } from './write';

const int = (value: string): number => {
  const n = Number(value);
  if (!Number.isInteger(n)) throw new InvalidArgumentError('not an integer');
  return n;
};
const num = (value: string): number => {
  const n = Number(value);
  if (!Number.isFinite(n)) throw new InvalidArgumentError('not a number');
  return n;
};

export async function main(argv: string[]): Promise<void> {
  const program = new Command()
    .name('edusage-generate')
    .description('Write a deterministic sample district (OneRoster roster, catalog, licences, events).')
    .requiredOption('--seed <n>', 'PRNG seed (integer)', int)
    .requiredOption('--out <dir>', 'output directory')
    .option('--district-id <id>', 'district id', DEFAULTS.districtId)
    .option('--district-name <name>', 'district display name')
    .option('--domain <domain>', 'email and Caliper IRI domain')
    .option('--timezone <iana>', 'district time zone', DEFAULTS.timezone)
    .option('--schools <n>', 'schools', int, DEFAULTS.schools)
    .option('--classes-per-school <n>', 'classes per school', int, DEFAULTS.classesPerSchool)
    .option('--students-per-class <n>', 'students per class', int, DEFAULTS.studentsPerClass)
    .option('--classes-per-student <n>', 'classes each student takes', int, DEFAULTS.classesPerStudent)
    .option('--days <n>', 'calendar days of events', int, DEFAULTS.days)
    .option('--start-date <YYYY-MM-DD>', 'first local day (default: a recent Monday, see README)')
    .option('--events-per-student-day <n>', 'mean events per student per school day', num, DEFAULTS.eventsPerStudentDay)
    .option('--malformed-rate <r>', 'share of malformed events', num, DEFAULTS.malformedRate)
    .option('--duplicate-rate <r>', 'share of re-sent lines', num, DEFAULTS.duplicateRate)
    .option('--no-truth', 'do not write truth.ndjson')
    .option('--json', 'print the summary as JSON')
    .parse(argv);
  const o = program.opts<{
    seed: number;
    out: string;
    districtId: string;
    districtName?: string;
    domain?: string;
    timezone: string;
    schools: number;
    classesPerSchool: number;
    studentsPerClass: number;
    classesPerStudent: number;
    days: number;
    startDate?: string;
    eventsPerStudentDay: number;
    malformedRate: number;
    duplicateRate: number;
    truth: boolean;
    json?: boolean;
  }>();
  const district = generateDistrict({
    seed: o.seed,
    districtId: o.districtId,
    districtName: o.districtName,
    domain: o.domain,
    timezone: o.timezone,
    schools: o.schools,
    classesPerSchool: o.classesPerSchool,
    studentsPerClass: o.studentsPerClass,
    classesPerStudent: o.classesPerStudent,
    days: o.days,
    startDate: o.startDate,
    eventsPerStudentDay: o.eventsPerStudentDay,
    malformedRate: o.malformedRate,
    duplicateRate: o.duplicateRate,
  });
  const written = await writeDistrict(district, o.out, { truth: o.truth });
  if (o.json) {
    process.stdout.write(
      `${JSON.stringify({ dir: written.dir, counts: written.counts, stats: written.stats }, null, 2)}\n`,
    );
    return;
  }
  const d = district.options;
  const s = written.stats;
  const out: string[] = [
    `district ${d.districtId} (${d.districtName}), ${d.timezone}, ${d.startDate} + ${d.days} days, seed ${d.seed}`,
    `wrote ${written.dir}:`,
    ...Object.entries(written.counts).map(([file, n]) => `  ${file.padEnd(30)} ${String(n).padStart(9)}`),
    `events ${s.events} (native ${s.eventsByFormat.native}, caliper ${s.eventsByFormat.caliper}, squid ${s.eventsByFormat.squid}); ` +
      `malformed ${s.malformed.native + s.malformed.caliper + s.malformed.squid}, duplicates ${s.duplicates}, ` +
      `unresolved people ${s.unresolvedPersonEvents}, unresolved apps ${s.unresolvedAppEvents}`,
    `in ${s.seconds.toFixed(2)} s`,
  ];
  process.stdout.write(`${out.join('\n')}\n`);
}

if (require.main === module) {
  main(process.argv).catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  });
}
