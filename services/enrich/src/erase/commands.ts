import type { Command } from 'commander';
import { topicNames } from '@edusage/config';
import { queryRows, sqlString } from '@edusage/clickhouse';
import { createKafka } from '@edusage/kafka';
import { createLogger } from '@edusage/logging';
import { atMostEvery } from '@edusage/runtime';
import { withCliServices } from '../cli-services';
import { assertSafeDistrictId } from '../store/versioned';
import { erasePeople, type EraseResult } from './erase';
import { describeFinisher, isSweepRequest } from './finish';
import { readPeopleFile, type HeaderLine } from './people-file';
import type { ErasedPerson } from './erase-stored';

type Fail = (err: unknown) => never;

interface EraseCommandOptions {
  district: string;
  person: string[];
  peopleFile: string[];
  confirm: boolean;
  waitSeconds: string;
}

/** `enrich people erase` and `enrich people erasures` (docs/ARCHITECTURE.md "Erasing a person"). */
export function addPeopleCommands(program: Command, fail: Fail): void {
  const people = program.command('people').description('people of a district: erasure at the district’s request');
  const repeatable = (value: string, all: string[]) => [...all, value];

  people
    .command('erase')
    .description(
      'erase people: their stored events (every version) and assessment results are deleted, the rollups folded ' +
        'again without them, and enrich drops their later events. Without --confirm, only says what it would remove',
    )
    .requiredOption('--district <id>', 'district id')
    .option(
      '--person <id>',
      'roster sourcedId, email, username or state/local id; an id the roster lacks is taken as the identifier a departed person sent (repeatable)',
      repeatable,
      [] as string[],
    )
    .option(
      '--people-file <file>',
      'a file of ids, one per line (e.g. the students who left); blank lines and # comments are skipped (repeatable)',
      repeatable,
      [] as string[],
    )
    .option('--confirm', 'erase (without it nothing is written)', false)
    .option('--wait-seconds <n>', 'how long to wait for the aggregate to store what is on its way', '120')
    .action((o: EraseCommandOptions) => runErase(o).catch(fail));

  people
    .command('erasures')
    .description('the erasure requests of a district: when, how many people, what was removed (no ids)')
    .requiredOption('--district <id>', 'district id')
    .action((o: { district: string }) => listErasures(o.district).catch(fail));
}

/** `people erase`: checks the options and reads the files before any service is asked, then erases (or says what it would). */
async function runErase(o: EraseCommandOptions): Promise<void> {
  assertSafeDistrictId(o.district);
  const waitSeconds = Number(o.waitSeconds);
  if (!Number.isInteger(waitSeconds) || waitSeconds < 0)
    throw new Error(`--wait-seconds: expected a whole number of seconds, got ${JSON.stringify(o.waitSeconds)}`);
  // Read before any service is asked: a bad line is named at once.
  const files = o.peopleFile.map((file) => readPeopleFile(file));
  const given = [...o.person.map((id) => ({ id, from: '--person' })), ...files.flatMap((f) => f.ids)];
  const headerLines = files.flatMap((f) => (f.header ? [f.header] : []));
  if (given.length === 0 && headerLines.length === 0)
    throw new Error('--person or --people-file: name at least one person');
  await withCliServices(o.confirm, async ({ config, ch, redis }) => {
    const note = atMostEvery<string>(2_000, (line) => process.stderr.write(`${line}\n`));
    const r = await erasePeople({
      ch,
      redis,
      redisPrefix: config.REDIS_KEY_PREFIX,
      pseudonymKey: config.PSEUDONYM_KEY,
      districtId: o.district,
      people: given,
      headerLines,
      confirm: o.confirm,
      kafka: createKafka(config, createLogger('enrich-cli', 'warn')),
      enrichedTopic: topicNames(config.KAFKA_TOPIC_PREFIX).enriched,
      aggregateGroupId: config.AGGREGATE_GROUP_ID,
      enrichReloadMs: config.ENRICH_RELOAD_INTERVAL_MS,
      catchUpTimeoutMs: waitSeconds * 1000,
      onProgress: note,
      deletion: { onWaiting: (parts) => note(`waiting for ClickHouse to rewrite ${parts} data part(s)…`) },
    });
    printEraseResult(o, headerLines, r);
  });
}

/** What `people erase` did (stdout) and what the operator should know (stderr; exit 2 when not caught up). */
function printEraseResult(o: EraseCommandOptions, headerLines: readonly HeaderLine[], r: EraseResult): void {
  if (!r.hasRoster)
    process.stderr.write(
      `district ${o.district} has no roster loaded: every id was taken as an identifier sent (is the district id right?)\n`,
    );
  for (const h of headerLines)
    process.stderr.write(
      r.headersErased.includes(h.from)
        ? `${h.from} (${h.id}): a roster user has this id, so it is a person to erase, not the file's header line\n`
        : `${h.from} (${h.id}): taken as the file's header line, not as an id (no roster user has it)\n`,
    );
  for (const p of r.people) console.log(describePerson(p));
  if (!o.confirm) {
    console.log(
      `would erase ${r.people.length} person(s) of district ${o.district}: ${r.events} stored event(s), ` +
        `${r.results} assessment result(s); add --confirm to erase them`,
    );
    return;
  }
  console.log(
    `erased ${r.people.length} person(s) of district ${o.district} (request ${r.requestId}): ${r.events} stored ` +
      `event(s) and ${r.results} assessment result(s) deleted; ${r.refoldedRanges} rollup range(s) folded ` +
      `again; enrich drops their later events`,
  );
  if (r.notYetStored > 0) {
    process.stderr.write(
      `${r.notYetStored} message(s) on usage.enriched were not stored yet when the wait ended (is the ` +
        `aggregate running?): some of their events may still arrive; the jobs service's erasure sweep finishes ` +
        `the request once it has caught up, or run the same command again then\n`,
    );
    process.exitCode = 2;
  }
}

/** `people erasures`: a district's requests, oldest first, with what became of each (no ids). */
async function listErasures(district: string): Promise<void> {
  assertSafeDistrictId(district);
  await withCliServices(false, async ({ ch }) => {
    const rows = await queryRows<{
      request_id: string;
      requested_at: string;
      people: string;
      done: number;
      by: string;
      events: string;
      results: string;
    }>(
      ch,
      // A request finished by its own run shows that run's counts; one a later run finished (after it
      // stopped midway) names that run, and what it deleted itself is not known.
      `SELECT request_id, toString(min(requested_at)) AS requested_at, max(finished) AS done,
              if(countIf(finished = 1 AND finished_by = request_id) > 0, request_id,
                 minIf(finished_by, finished = 1)) AS by,
              countIf(finished = 0) AS people,
              sumIf(erased_events, finished = 1 AND finished_by = request_id) AS events,
              sumIf(erased_results, finished = 1 AND finished_by = request_id) AS results
       FROM person_erasures WHERE district_id = ${sqlString(district)}
       GROUP BY request_id ORDER BY requested_at, request_id`,
    );
    if (rows.length === 0) console.log(`district ${district} has no erasure requests`);
    for (const r of rows)
      console.log(`${r.request_id}  ${r.requested_at} UTC  ${r.people} person(s)  ${requestState(r)}`);
  });
}

/** What became of a request, for `people erasures`. */
function requestState(r: { request_id: string; done: number; by: string; events: string; results: string }): string {
  const sweep = isSweepRequest(r.request_id);
  if (Number(r.done) !== 1)
    return sweep
      ? 'not finished: the next erasure sweep finishes it'
      : 'not finished: the jobs service’s erasure sweep finishes it, or run the same `people erase` again';
  if (r.by !== r.request_id)
    return `stopped midway (what it deleted is not counted), finished by ${describeFinisher(r.by)}`;
  return (
    `${r.events} event(s), ${r.results} result(s) deleted` +
    (sweep ? ' (the jobs service’s erasure sweep: unfinished requests, or rows stored after one finished)' : '')
  );
}

function describePerson(p: ErasedPerson): string {
  const who =
    p.sourcedId === null
      ? 'not in the roster: only what was sent with exactly this identifier; a departed person’s resolved ' +
        'events and results are stored under their roster sourcedId: name them by it'
      : `roster sourcedId ${p.sourcedId}` +
        (p.shared > 0 ? `; ${p.shared} identifier(s) of theirs another roster user has too are left out` : '');
  return `  ${p.named} (${who}): ${p.events} stored event(s), ${p.results} assessment result(s)`;
}
