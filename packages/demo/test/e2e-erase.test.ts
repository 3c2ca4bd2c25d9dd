/**
 * Erasing people at the district's request (docs/ARCHITECTURE.md "Erasing a person"), on the real
 * services: a generated district's events and MAP Growth results are stored, then two students are erased
 * (one named by roster sourcedId, one by email). Without --confirm nothing changes; a run stopped right
 * after its deletion and run again leaves every stored event, rollup cell and report equal to the
 * reference computed without those two students (support/reference.ts), their results gone and the
 * others' kept; their later events are dropped by enrich while another student's are stored.
 */
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { insertRows, queryRows, sqlString } from '@edusage/clickhouse';
import { erasePeople, erasedKeys, type FinishResult } from '@edusage/enrich';
import { generateAssessments, writeAssessmentFiles } from '@edusage/generator';
import { compactRollups, readCompactionState } from '@edusage/rollups';
import { consumerLag, createProducer } from '@edusage/kafka';
import { assessmentRow, waitFor } from '@edusage/testkit';
import { runJobToEnd, startJobs } from '../../../services/jobs/test/harness';
import { runServiceCli } from '../src/cli-run';
import { makeEnrichedEvents } from '../../../services/aggregate/test/enriched-fixtures';
import { sendSampleEvents } from '../src/pipeline';
import { REPO_ROOT } from '../src/services';
import { countRows, DISTRICT, PSEUDONYM_KEY, readRollups, setupE2E, TIMEZONE, type E2E } from './support/e2e';
import { attributedEvents, buildReference, pseudonym, sorted, type AttributedEvent } from './support/reference';
import { expectAsReference, nonEmpty } from './support/as-reference';

jest.setTimeout(300_000);
const run = promisify(execFile);

describe('erasing people at the district’s request', () => {
  let e2e: E2E;
  let redis: Redis;
  /** The two erased students (sourcedIds) and how the command names them. */
  let erased: Set<string>;
  let named: string[];
  /** A student who stays. */
  let kept: string;
  /** A student erased later, while the aggregate is down. */
  let laterGone: string;
  const leaveOut = (a: AttributedEvent) => a.personSourcedId !== null && erased.has(a.personSourcedId);
  const resultsOf = (sourcedIds: string[]) =>
    countRows(
      e2e.ch,
      'assessment_results',
      `person_id IN (${sourcedIds.map((s) => sqlString(pseudonym(PSEUDONYM_KEY, DISTRICT, s))).join(', ')})`,
    );

  const importMapGrowth = () => {
    const outcomesCli = path.join(REPO_ROOT, 'packages', 'outcomes', 'dist', 'cli.js');
    const file = path.join(path.dirname(e2e.files.licenses), 'assessments', 'map_growth.csv');
    return run(process.execPath, [outcomesCli, 'import', '--district', DISTRICT, '--preset', 'map-growth', file], {
      env: { ...process.env, ...e2e.serviceEnv },
    });
  };

  beforeAll(async () => {
    e2e = await setupE2E('e2e_erase');
    redis = new Redis(e2e.env.config.REDIS_URL);
    await sendSampleEvents(e2e.pipeline, DISTRICT, e2e.files, e2e.keys);
    await e2e.drain();
    // MAP Growth results of every student, as `outcomes import` stores them.
    const dir = path.dirname(e2e.files.licenses);
    await writeAssessmentFiles(generateAssessments(e2e.sample), dir);
    await importMapGrowth();

    // Students with events and results: the one with the most events, named by sourcedId; the next, by email.
    const eventsOf = new Map<string, number>();
    for (const a of attributedEvents(e2e.sample, PSEUDONYM_KEY))
      if (a.role === 'student' && a.personSourcedId)
        eventsOf.set(a.personSourcedId, (eventsOf.get(a.personSourcedId) ?? 0) + 1);
    const [first, second, third, fourth] = [...eventsOf].sort((a, b) => b[1] - a[1]).map(([id]) => id);
    erased = new Set([first!, second!]);
    kept = third!;
    laterGone = fourth!;
    const email = e2e.sample.roster.users.find((u) => u.sourcedId === second)!.email;
    expect(email).toContain('@');
    named = [first!, email.toUpperCase()]; // emails are case-insensitive logins
    expect(await resultsOf([first!, second!])).toBeGreaterThan(0);
  });

  afterAll(async () => {
    redis?.disconnect();
    await e2e?.teardown();
  });

  const cli = (args: string[]) =>
    runServiceCli(
      'enrich',
      ['people', ...args, '--district', DISTRICT, ...named.flatMap((n) => ['--person', n])],
      e2e.serviceEnv,
    );

  /** `erasePeople` as the command runs it, with --confirm, stopped (thrown from) at `step`. */
  const eraseStoppedAt = (ids: string[], step: 'asked' | 'deleted') =>
    expect(
      erasePeople({
        ch: e2e.ch,
        redis,
        redisPrefix: e2e.env.config.REDIS_KEY_PREFIX,
        pseudonymKey: PSEUDONYM_KEY,
        districtId: DISTRICT,
        people: ids.map((id) => ({ id, from: '--person' })),
        confirm: true,
        kafka: e2e.kafka,
        enrichedTopic: e2e.env.topics.enriched,
        aggregateGroupId: e2e.groups.AGGREGATE_GROUP_ID,
        enrichReloadMs: 1_000,
        onStep: async (s) => {
          if (s === step) throw new Error(`stopped at ${step}`);
        },
      }),
    ).rejects.toThrow(`stopped at ${step}`);

  /** Sends events of `user`s (one each) as the district's agent, an hour or two ago; expects them accepted. */
  const sendEvents = async (
    domain: string,
    hoursAgo: number,
    events: { id: string; user: Record<string, string> }[],
  ) => {
    const at = new Date(Date.now() - hoursAgo * 3_600_000).toISOString();
    const res = await fetch(`${e2e.pipeline.ingestUrl}/v1/events`, {
      method: 'POST',
      headers: { authorization: `Bearer ${e2e.keys.agent}`, 'content-type': 'application/x-ndjson' },
      body: events
        .map(({ id, user }) =>
          JSON.stringify({
            event_id: id,
            occurred_at: at,
            district_id: DISTRICT,
            source: 'agent',
            type: 'use',
            user,
            app: { domain },
            active_seconds: 60,
          }),
        )
        .join('\n'),
    });
    expect(res.status).toBe(202);
  };

  it('without --confirm says what it would remove and changes nothing', async () => {
    const expectedEvents = [...attributedEvents(e2e.sample, PSEUDONYM_KEY)].filter(leaveOut).length;
    const results = await resultsOf([...erased]);
    const rollups = await readRollups(e2e.ch, DISTRICT);
    const out = await cli(['erase']);
    expect(out).toContain(
      `would erase 2 person(s) of district ${DISTRICT}: ${expectedEvents} stored event(s), ${results} assessment result(s)`,
    );
    expect(out).toContain(`${named[1]} (roster sourcedId ${[...erased][1]})`);
    expect(await resultsOf([...erased])).toBe(results);
    expect(sorted((await readRollups(e2e.ch, DISTRICT)).class)).toEqual(sorted(rollups.class));
    expect(await redis.exists(erasedKeys(e2e.env.config.REDIS_KEY_PREFIX, DISTRICT).set)).toBe(0);
  });

  it('a run stopped after its deletion, then run again, leaves everything as if they had never been counted', async () => {
    // Compacted before: the re-folds must make readers leave the compaction.
    await compactRollups(e2e.ch);
    expect((await readCompactionState(e2e.ch)).months.size).toBeGreaterThan(0);
    const othersResults = await countRows(e2e.ch, 'assessment_results');
    const theirResults = await resultsOf([...erased]);

    await eraseStoppedAt(named, 'deleted');
    // Their rows are gone, and the rollups still count them: not finished.
    expect(await resultsOf([...erased])).toBe(0);
    const ref = buildReference(e2e.sample, PSEUDONYM_KEY, leaveOut);
    expect(sorted(nonEmpty((await readRollups(e2e.ch, DISTRICT)).district))).not.toEqual(sorted(ref.district));
    expect(await runServiceCli('enrich', ['people', 'erasures', '--district', DISTRICT], e2e.serviceEnv)).toContain(
      'not finished',
    );

    // The run that finishes it names them in a file, as a list of students who left would (an export of
    // one column, its header line included: taken as an id it would be a third person).
    const listFile = path.join(path.dirname(e2e.files.licenses), 'erase.txt');
    writeFileSync(listFile, `# erasure requests\nsourcedId\n${named[0]}\n\n${named[1]}\n`);
    const out = await runServiceCli(
      'enrich',
      ['people', 'erase', '--confirm', '--district', DISTRICT, '--people-file', listFile],
      e2e.serviceEnv,
    );
    expect(out).toMatch(
      /erased 2 person\(s\) of district d1 \(request [0-9a-f-]+\): 0 stored event\(s\) and 0 assessment result\(s\) deleted; [1-9]\d* rollup range\(s\) folded again/,
    );
    // A file of nothing but a header line (an export that came out empty) erases nobody: refused, named,
    // even beside another person.
    const emptyExport = path.join(path.dirname(e2e.files.licenses), 'empty-export.txt');
    writeFileSync(emptyExport, 'sourcedId\n');
    await expect(
      runServiceCli(
        'enrich',
        ['people', 'erase', '--district', DISTRICT, '--person', named[0]!, '--people-file', emptyExport],
        e2e.serviceEnv,
      ),
    ).rejects.toThrow(`${emptyExport}:1 (sourcedId): the file holds no id but this header line, and no roster user`);
    expect((await readCompactionState(e2e.ch)).months.size).toBe(0);
    await expectAsReference(e2e, ref, leaveOut);
    await compactRollups(e2e.ch);
    await expectAsReference(e2e, ref, leaveOut);
    expect(await countRows(e2e.ch, 'assessment_results')).toBe(othersResults - theirResults);
    expect(await resultsOf([kept])).toBeGreaterThan(0);
    // The district's next file of results still names them: their rows are not stored again.
    const { stdout } = await importMapGrowth();
    expect(stdout).toContain(`, ${theirResults} of erased students (not stored)`);
    expect(await resultsOf([...erased])).toBe(0);
    expect(await countRows(e2e.ch, 'assessment_results FINAL')).toBe(othersResults - theirResults);

    const list = await runServiceCli('enrich', ['people', 'erasures', '--district', DISTRICT], e2e.serviceEnv);
    expect(list).not.toContain('not finished');
    // The run stopped midway, finished by the second, whose line says what it deleted (nothing left by then).
    const [first, second] = list.trim().split('\n');
    expect(first).toMatch(
      / 2 person\(s\) {2}stopped midway \(what it deleted is not counted\), finished by request \d+-[0-9a-f]+$/,
    );
    expect(second).toMatch(/ 2 person\(s\) {2}0 event\(s\), 0 result\(s\) deleted$/);
    expect(first).toContain(second!.split(' ')[0]!);
    // No id of theirs is printed or kept in the record, only pseudonyms.
    for (const id of [...erased, ...named]) expect(list).not.toContain(id);
    const [stored] = await queryRows<{ ids: string }>(
      e2e.ch,
      `SELECT toString(groupArray(person_ids)) AS ids FROM person_erasures`,
    );
    for (const id of [...erased, ...named]) expect(stored!.ids).not.toContain(id);
  });

  it('an erasure stopped while the aggregate was down is finished by the jobs service’s sweep once it is back', async () => {
    await e2e.pipeline.stop('aggregate');
    // New events of theirs pass enrich, which knows nothing of the erasure yet, and wait on usage.enriched.
    await sendEvents(
      'sweep-test.example.org',
      2,
      [1, 2, 3].map((n) => ({ id: `on-the-way-${n}`, user: { sourced_id: laterGone } })),
    );
    await waitFor(
      () => consumerLag(e2e.kafka, e2e.groups.ENRICH_GROUP_ID, [e2e.env.topics.raw]),
      (n) => n === 0,
      { timeoutMs: 60_000, what: 'enrich caught up' },
    );
    // The request is recorded, and its run stops before anything is deleted.
    await eraseStoppedAt([laterGone], 'asked');
    erased.add(laterGone);
    const theirResults = await resultsOf([laterGone]);
    expect(theirResults).toBeGreaterThan(0);
    // Distinct results (the file was imported twice above): what the sweep counts.
    const theirDistinctResults = await countRows(
      e2e.ch,
      'assessment_results FINAL',
      `person_id = ${sqlString(pseudonym(PSEUDONYM_KEY, DISTRICT, laterGone))}`,
    );
    const theirEvents = [...attributedEvents(e2e.sample, PSEUDONYM_KEY)].filter(
      (a) => a.personSourcedId === laterGone,
    ).length;

    const jobs = await startJobs({ ...e2e.serviceEnv, JOBS_OWN_SCHEDULERS: 'false', ERASURE_SWEEP_WAIT_MS: '2000' });
    try {
      // The aggregate is still down: the sweep finishes nothing.
      const early = (await runJobToEnd(e2e.env.config, 'erasure-sweep', { zone: TIMEZONE })) as FinishResult;
      expect(early.districts).toEqual([]);
      expect(early.notYetStored).toBeGreaterThanOrEqual(3);
      expect(await runServiceCli('enrich', ['people', 'erasures', '--district', DISTRICT], e2e.serviceEnv)).toContain(
        'not finished',
      );
      e2e.pipeline.start('aggregate');
      await e2e.drain();
      const done = (await runJobToEnd(e2e.env.config, 'erasure-sweep', { zone: TIMEZONE })) as FinishResult;
      expect(done.notYetStored).toBe(0);
      expect(done.districts).toEqual([
        {
          districtId: DISTRICT,
          request: expect.stringMatching(/^sweep-\d+-[0-9a-f]+$/),
          requests: [expect.stringMatching(/^\d+-[0-9a-f]+$/)],
          events: theirEvents,
          results: theirDistinctResults,
          refoldedRanges: expect.any(Number),
        },
      ]);
      expect(done.districts[0]!.refoldedRanges).toBeGreaterThan(0);
    } finally {
      await jobs.stop();
    }
    await e2e.drain();
    await expectAsReference(e2e, buildReference(e2e.sample, PSEUDONYM_KEY, leaveOut), leaveOut);
    expect(await countRows(e2e.ch, 'usage_events', `app_domain = 'sweep-test.example.org'`)).toBe(0);
    expect(await resultsOf([laterGone])).toBe(0);
    const list = await runServiceCli('enrich', ['people', 'erasures', '--district', DISTRICT], e2e.serviceEnv);
    expect(list).not.toContain('not finished');
    // The request, finished by the sweep's own request, which says what it deleted.
    const [asked, sweep] = list.trim().split('\n').slice(-2);
    const sweepId = sweep!.split(' ')[0]!;
    expect(asked).toMatch(/ 1 person\(s\) {2}stopped midway \(what it deleted is not counted\), finished by /);
    expect(asked).toContain(`finished by the jobs service's erasure sweep (request ${sweepId})`);
    expect(sweep).toContain(
      ` 1 person(s)  ${theirEvents} event(s), ${theirDistinctResults} result(s) deleted (the jobs service’s erasure sweep`,
    );
  });

  it('a result stored for an erased student after their erasure finished is removed by the next sweep', async () => {
    // As an `outcomes import` INSERT already on its way when the request was recorded would store it.
    await insertRows(e2e.ch, 'assessment_results', [
      assessmentRow(pseudonym(PSEUDONYM_KEY, DISTRICT, laterGone), '2026-09-10', 210, { district_id: DISTRICT }),
    ]);
    expect(await resultsOf([laterGone])).toBe(1);
    const jobs = await startJobs({ ...e2e.serviceEnv, JOBS_OWN_SCHEDULERS: 'false', ERASURE_SWEEP_WAIT_MS: '10000' });
    try {
      const sweep = (await runJobToEnd(e2e.env.config, 'erasure-sweep', { zone: TIMEZONE })) as FinishResult;
      expect(sweep).toEqual({
        notYetStored: 0,
        districts: [
          {
            districtId: DISTRICT,
            request: expect.stringMatching(/^sweep-/),
            requests: [],
            events: 0,
            results: 1,
            refoldedRanges: 0,
          },
        ],
      });
      expect(await resultsOf([laterGone])).toBe(0);
      // Nothing left: the next sweep finds nothing to do.
      expect(await runJobToEnd(e2e.env.config, 'erasure-sweep', { zone: TIMEZONE })).toEqual({
        notYetStored: 0,
        districts: [],
      });
    } finally {
      await jobs.stop();
    }
  });

  it('drops their later events, and stores another student’s', async () => {
    const before = await countRows(e2e.ch, 'usage_events');
    const [bySourcedId, byEmail] = [...erased];
    const email = e2e.sample.roster.users.find((u) => u.sourcedId === byEmail)!.email;
    await sendEvents('erase-test.example.org', 1, [
      { id: 'after-1', user: { sourced_id: bySourcedId! } },
      { id: 'after-2', user: { email } },
      { id: 'after-3', user: { sourced_id: byEmail! } },
      { id: 'after-4', user: { sourced_id: kept } },
    ]);
    await e2e.drain();
    expect(await countRows(e2e.ch, 'usage_events')).toBe(before + 1);
    const [row] = await queryRows<{ person_id: string }>(
      e2e.ch,
      `SELECT person_id FROM usage_events WHERE app_domain = 'erase-test.example.org'`,
    );
    expect(row!.person_id).toBe(pseudonym(PSEUDONYM_KEY, DISTRICT, kept));
    expect(e2e.logOf('enrich').some((l) => l.includes('erased people loaded'))).toBe(true);
  });

  it('the aggregate does not store an erased person’s event that reaches it (enriched before enrich had the list)', async () => {
    const before = await countRows(e2e.ch, 'usage_events');
    const [template] = makeEnrichedEvents(1, 99, 0);
    const enriched = (n: number, personId: string) => ({
      ...template!,
      dedup_key: `${'e'.repeat(31)}${n}`,
      event_id: `late-${n}`,
      district_id: DISTRICT,
      person_id: personId,
      app_id: 'late-enriched-test',
    });
    const producer = await createProducer(e2e.kafka);
    try {
      await producer.send({
        topic: e2e.env.topics.enriched,
        messages: [
          { key: 'a', value: JSON.stringify(enriched(1, pseudonym(PSEUDONYM_KEY, DISTRICT, [...erased][0]!))) },
          { key: 'a', value: JSON.stringify(enriched(2, pseudonym(PSEUDONYM_KEY, DISTRICT, kept))) },
        ],
      });
    } finally {
      await producer.disconnect();
    }
    await e2e.drain();
    expect(await countRows(e2e.ch, 'usage_events')).toBe(before + 1);
    const [row] = await queryRows<{ person_id: string }>(
      e2e.ch,
      `SELECT person_id FROM usage_events WHERE app_id = 'late-enriched-test'`,
    );
    expect(row!.person_id).toBe(pseudonym(PSEUDONYM_KEY, DISTRICT, kept));
  });
});
