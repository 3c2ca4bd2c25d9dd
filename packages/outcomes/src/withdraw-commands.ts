import Table from 'cli-table3';
import { Option, type Command } from 'commander';
import { pseudonymizeOnce } from '@edusage/enrich';
import { isCalendarDay, type ClickHouseClient } from '@edusage/clickhouse';
import { atMostEvery } from '@edusage/runtime';
import { checkDistrictId, fail, loadConfig, loadMatcherIfAny, withClickHouse } from './cli-common';
import {
  listImports,
  withdrawalExtent,
  withdrawResults,
  type ImportEntry,
  type Withdrawal,
  type WithdrawalExtent,
} from './withdraw';

/** Most `--student` options in one withdrawal (each is a literal of the DELETE's condition). */
const MAX_STUDENTS = 1_000;

/** `outcomes imports` and `outcomes withdraw`: what was imported, and taking results back out. */
export function registerWithdrawCommands(program: Command): void {
  program
    .command('imports')
    .description(
      "what a district's assessment imports stored: per import, assessment and subject, its results and test days",
    )
    .requiredOption('--district <id>', 'district id')
    .addOption(new Option('--format <format>', 'output').choices(['table', 'json']).default('table'))
    .action(async (o: { district: string; format: 'table' | 'json' }) => {
      try {
        const districtId = checkDistrictId(o.district);
        const entries = await withClickHouse(loadConfig(), (ch) => listImports(ch, districtId));
        process.stdout.write((o.format === 'json' ? JSON.stringify(entries) : importsTable(entries)) + '\n');
      } catch (err) {
        fail(err);
      }
    });

  program
    .command('withdraw')
    .description(
      'remove stored results: an assessment’s tests in a date range, of some students or all, whichever ' +
        'imports stored them. Shows what would go; removes only with --confirm',
    )
    .requiredOption('--district <id>', 'district id')
    .requiredOption('--assessment <name>', 'assessment, e.g. map_growth')
    .requiredOption('--subject <subject>', 'subject, e.g. math')
    .requiredOption('--from <YYYY-MM-DD>', 'first test day to remove')
    .requiredOption('--to <YYYY-MM-DD>', 'last test day to remove')
    .option(
      '--student <id>',
      'only this student: the roster sourcedId, or a state or local id the roster has (repeat for several)',
      (v: string, all: string[] = []) => [...all, v],
    )
    .option('--confirm', 'remove them (without it nothing is removed)')
    .action(async (o: WithdrawCliOptions) => {
      try {
        await runWithdraw(o);
      } catch (err) {
        fail(err);
      }
    });
}

interface WithdrawCliOptions {
  district: string;
  assessment: string;
  subject: string;
  from: string;
  to: string;
  student?: string[];
  confirm?: boolean;
}

async function runWithdraw(o: WithdrawCliOptions): Promise<void> {
  checkOptions(o);
  const config = loadConfig();
  const withdrawal = await withdrawalOf(o, config);
  await withClickHouse(config, async (ch) => {
    const extent = o.confirm ? await confirmed(ch, withdrawal) : await withdrawalExtent(ch, withdrawal);
    const verb = o.confirm ? 'removed' : 'would remove';
    process.stdout.write(
      `${verb} ${describe(extent)}${!o.confirm && extent.results > 0 ? '; add --confirm to remove them' : ''}\n`,
    );
    // A named student without a result in these days is most often an id the roster does not have.
    const named = withdrawal.personIds?.length ?? 0;
    if (extent.students < named) {
      process.stderr.write(
        `${named - extent.students} of the ${named} students named have no ${withdrawal.assessment} result ` +
          `from ${withdrawal.from} to ${withdrawal.to} (is the id one the roster has?)\n`,
      );
      process.exitCode = 2;
    }
  });
}

function confirmed(ch: ClickHouseClient, withdrawal: Withdrawal): Promise<WithdrawalExtent> {
  return withdrawResults(ch, withdrawal, {
    onWaiting: atMostEvery<number>(2_000, (parts) =>
      process.stderr.write(`waiting for ClickHouse to rewrite ${parts} data part(s)…\n`),
    ),
  });
}

/** Checks of the options alone, before any service is asked: each names its option. */
function checkOptions(o: WithdrawCliOptions): void {
  checkDistrictId(o.district);
  for (const k of ['from', 'to'] as const)
    if (!isCalendarDay(o[k])) throw new Error(`--${k}: expected a date YYYY-MM-DD, got ${JSON.stringify(o[k])}`);
  if (o.from > o.to) throw new Error(`--from ${o.from} is after --to ${o.to}`);
  const students = o.student ?? [];
  if (students.some((id) => id.trim() === '')) throw new Error('--student: an empty id');
  if (students.length > MAX_STUDENTS) throw new Error(`--student: at most ${MAX_STUDENTS} in one withdrawal`);
}

/** The withdrawal the (checked) options name, the students as their pseudonyms. */
async function withdrawalOf(o: WithdrawCliOptions, config: ReturnType<typeof loadConfig>): Promise<Withdrawal> {
  const districtId = o.district;
  const students = [...new Set((o.student ?? []).map((id) => id.trim()))];
  return {
    districtId,
    assessment: o.assessment,
    subject: o.subject,
    from: o.from,
    to: o.to,
    ...(students.length > 0 ? { personIds: await pseudonymsOf(config, districtId, students) } : {}),
  };
}

/**
 * The named students' pseudonyms, found as the import finds them: each id as a roster sourcedId or as
 * a state or local id of the current roster (`RosterMatcher`; an id naming two students is refused). An
 * id the roster does not have is taken as the sourcedId of a student who has left it. The key is
 * checked against the deployment's, as the import does.
 */
async function pseudonymsOf(
  config: ReturnType<typeof loadConfig>,
  districtId: string,
  ids: readonly string[],
): Promise<string[]> {
  const matcher = await loadMatcherIfAny(config, districtId);
  return ids.map((id) => {
    const found = matcher?.match({ sourcedId: id, ids: [id] });
    if (found?.ok) return found.personId;
    if (found?.reason === 'ambiguous') throw new Error(`--student ${id}: ${found.message}`);
    return pseudonymizeOnce(config.PSEUDONYM_KEY, districtId, id);
  });
}

function describe(e: WithdrawalExtent): string {
  if (e.results === 0) return 'nothing: no stored result matches';
  return (
    `${e.results} result(s) of ${e.students} student(s), test days ${e.firstDay} to ${e.lastDay}` +
    `, from ${e.imports} import(s)`
  );
}

function importsTable(entries: readonly ImportEntry[]): string {
  if (entries.length === 0) return 'no imports';
  const table = new Table({
    head: ['imported (UTC)', 'assessment', 'subject', 'results', 'students', 'test days'],
    style: { head: [], border: [] },
  });
  for (const e of entries)
    table.push([
      e.importedMs === 0
        ? 'before import times were kept'
        : new Date(e.importedMs).toISOString().slice(0, 19).replace('T', ' '),
      e.assessment,
      e.subject,
      String(e.results),
      String(e.students),
      `${e.firstDay} to ${e.lastDay}`,
    ]);
  return table.toString();
}
