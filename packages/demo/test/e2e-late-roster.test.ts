/**
 * Late roster (docs/ARCHITECTURE.md "Late roster"), on the real services: a generated district's events
 * arrive while some students are missing from the roster (the nightly sync runs after their first day),
 * so they are stored unresolved. Then the full roster is imported and the re-resolution runs: every
 * stored event and every rollup cell must equal the independent reference computed with the full
 * roster (support/reference.ts), also after a run stopped midway and run again, and running it once
 * more changes nothing.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { queryRows } from '@edusage/clickhouse';
import { reresolveDistrict } from '@edusage/enrich';
import { compactRollups, readCompactionState } from '@edusage/rollups';
import { runServiceCli } from '../src/cli-run';
import { sendSampleEvents } from '../src/pipeline';
import { DISTRICT, PSEUDONYM_KEY, readRollups, setupE2E, TIMEZONE, type E2E } from './support/e2e';
import { attributedEvents, buildReference, sorted, type Reference } from './support/reference';
import { currentEvents, expectAsReference, expectedEvents, nonEmpty } from './support/as-reference';

jest.setTimeout(300_000);

/** The cells of one CSV line (quoted cells may hold commas; generated files have no line breaks in cells). */
function cellsOf(line: string): string[] {
  const cells: string[] = [];
  let cell = '';
  let quoted = false;
  for (const ch of line) {
    if (ch === '"') quoted = !quoted;
    else if (ch === ',' && !quoted) {
      cells.push(cell);
      cell = '';
    } else cell += ch;
  }
  cells.push(cell);
  return cells;
}

/** Rewrites a CSV without the rows whose `column` is in `drop`. */
function dropRows(file: string, column: string, drop: Set<string>): number {
  const [header, ...lines] = readFileSync(file, 'utf8').split('\n');
  const cols = header!.split(',');
  const at = cols.indexOf(column);
  if (at < 0) throw new Error(`${file} has no column ${column}`);
  let dropped = 0;
  const kept = lines.filter((l) => {
    if (l.trim() === '') return false;
    const cells = cellsOf(l);
    if (cells.length !== cols.length) throw new Error(`${file}: a row of ${cells.length} cells: ${l}`);
    const keep = !drop.has(cells[at]!);
    if (!keep) dropped++;
    return keep;
  });
  writeFileSync(file, [header, ...kept].join('\n') + '\n');
  return dropped;
}

describe('late roster: events stored before their people were in the roster', () => {
  let e2e: E2E;
  let ref: Reference;
  let redis: Redis;
  let tmp: string;
  const missing = new Set<string>();

  beforeAll(async () => {
    // The full roster is imported by the setup; the services start after the partial one below.
    e2e = await setupE2E('e2e_late_roster', { startServices: false });
    ref = buildReference(e2e.sample, PSEUDONYM_KEY);
    redis = new Redis(e2e.env.config.REDIS_URL);
    tmp = mkdtempSync(path.join(os.tmpdir(), 'edusage-late-roster-'));
  });

  afterAll(async () => {
    redis?.disconnect();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
    await e2e?.teardown();
  });

  const options = () => ({
    ch: e2e.ch,
    kafka: e2e.kafka,
    redis,
    redisPrefix: e2e.env.config.REDIS_KEY_PREFIX,
    pseudonymKey: PSEUDONYM_KEY,
    rawTopic: e2e.env.topics.raw,
    districtId: DISTRICT,
    timeZone: TIMEZONE,
  });

  it('stores the events of students missing from the roster unresolved', async () => {
    // Every 3rd student (and their enrollments) is missing from the roster the events meet.
    const students = e2e.sample.roster.users.filter((u) => u.role === 'student');
    students.filter((_, i) => i % 3 === 0).forEach((u) => missing.add(u.sourcedId));
    expect(missing.size).toBeGreaterThanOrEqual(20);
    const partial = path.join(tmp, 'partial');
    cpSync(e2e.files.dir, partial, { recursive: true });
    const rosterFile = (f: string) => path.join(partial, path.relative(e2e.files.dir, f));
    expect(dropRows(rosterFile(e2e.files.roster.users), 'sourcedId', missing)).toBe(missing.size);
    expect(dropRows(rosterFile(e2e.files.roster.enrollments), 'userSourcedId', missing)).toBeGreaterThan(0);
    dropRows(rosterFile(e2e.files.roster.demographics), 'sourcedId', missing);
    await runServiceCli('enrich', ['roster', 'import', '--district', DISTRICT, partial], e2e.serviceEnv);
    await e2e.pipeline.startAll();

    await sendSampleEvents(e2e.pipeline, DISTRICT, e2e.files, e2e.keys);
    await e2e.drain();

    // Their events are unresolved now: the stored events differ from the reference, and in the way expected.
    const expected = [...attributedEvents(e2e.sample, PSEUDONYM_KEY)];
    const late = expected.filter((a) => a.personSourcedId !== null && missing.has(a.personSourcedId));
    expect(late.length).toBeGreaterThan(200);
    const [unresolved] = await queryRows<{ n: string }>(
      e2e.ch,
      `SELECT count() AS n FROM usage_events WHERE person_resolved = 0`,
    );
    const refUnresolved = [...ref.unresolvedPeople.values()].reduce((a, b) => a + b, 0);
    expect(Number(unresolved!.n)).toBe(refUnresolved + late.length);
    expect(await currentEvents(e2e)).not.toEqual(expectedEvents(e2e));
    // Compacted before the late roster arrives: the re-fold below must make readers leave it.
    await compactRollups(e2e.ch);
    expect((await readCompactionState(e2e.ch)).months.size).toBeGreaterThan(0);
  });

  it('a run stopped midway, then run again, ends exactly as if the full roster had been there first', async () => {
    await runServiceCli('enrich', ['roster', 'import', '--district', DISTRICT, e2e.files.dir], e2e.serviceEnv);
    // Stopped after the revisions and the first re-folded range, as a crash there would.
    let refolds = 0;
    await expect(
      reresolveDistrict({
        ...options(),
        onStep: async (step) => {
          if (step === 'refold' && ++refolds === 1) throw new Error('stopped midway');
        },
      }),
    ).rejects.toThrow('stopped midway');
    const got = await readRollups(e2e.ch, DISTRICT);
    expect(sorted(nonEmpty(got.school))).not.toEqual(sorted(ref.school)); // not done yet

    const second = await reresolveDistrict(options());
    expect(second.revised).toBe(0); // the first run's revisions stand; this run only re-folds
    expect(second.refoldedRanges).toBeGreaterThan(1);
    expect(second.notYetFolded).toBe(0);
    // The compaction from before the re-folds is no longer read; a new one gives the same numbers.
    expect((await readCompactionState(e2e.ch)).months.size).toBe(0);
    await expectAsReference(e2e, ref);
    await compactRollups(e2e.ch);
    expect((await readCompactionState(e2e.ch)).months.size).toBeGreaterThan(0);
    await expectAsReference(e2e, ref);
  });

  it('running it again (the command) changes nothing', async () => {
    const before = await readRollups(e2e.ch, DISTRICT);
    const out = await runServiceCli('enrich', ['roster', 'reresolve', '--district', DISTRICT], e2e.serviceEnv);
    expect(out).toMatch(/: 0 of \d+ unresolved event\(s\) re-attributed; 0 rollup range\(s\) folded again/);
    // Left unresolved: only the people the full roster does not know either.
    const refUnresolved = [...ref.unresolvedPeople.values()].reduce((a, b) => a + b, 0);
    expect(out).toContain(`0 of ${refUnresolved} unresolved`);
    await expectAsReference(e2e, ref);
    const after = await readRollups(e2e.ch, DISTRICT);
    expect(sorted(after.class)).toEqual(sorted(before.class));
    expect(sorted(after.school)).toEqual(sorted(before.school));
    expect(sorted(after.district)).toEqual(sorted(before.district));
  });
});
