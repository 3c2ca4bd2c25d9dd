/**
 * The SQL dialect rule (docs/CLICKHOUSE_SQL.md): every migration and query runs on ClickHouse 18.16
 * (the local stack, where the rest of the suite runs) and on current ClickHouse. This suite runs the
 * migrations, the sink's insert and rollup derivation, the report queries and the escaping helper on a
 * current ClickHouse engine (chdb, installed by scripts/bootstrap), through the project's own code.
 */
import { claimEvents, deriveRollups, toClickHouseDateTime, usageEventRow } from '@edusage/aggregate';
import { insertRows, insertTsv, queryRows, runMigrations, sqlString } from '@edusage/clickhouse';
import {
  classAppUsage,
  deadLetterSummary,
  districtAppUsage,
  schoolAppUsage,
  unresolvedSummary,
} from '@edusage/reports';
import { migrationsDir, startCurrentClickHouse, type CurrentClickHouse } from '@edusage/testkit';
import { makeEnrichedEvents, referenceDistrictRollup } from '../../../services/aggregate/test/enriched-fixtures';

jest.setTimeout(120_000);

describe('the same SQL on current ClickHouse', () => {
  let current: CurrentClickHouse;

  beforeAll(async () => {
    current = await startCurrentClickHouse('edusage_current');
  });
  afterAll(async () => {
    await current?.close();
  });

  it('is really a current engine', async () => {
    const major = Number((await current.version()).split('.')[0]);
    expect(major).toBeGreaterThanOrEqual(24);
  });

  it("reads TabSeparated rows (the sink's and the claims' format) back exactly, awkward characters included", async () => {
    const ch = current.client;
    await ch.command({
      query: 'CREATE TABLE tsv_awkward (i UInt32, text String, big UInt64) ENGINE = MergeTree ORDER BY i',
    });
    const texts = [
      '',
      'tab\there',
      'new\nline',
      'cr\rhere',
      'back\\slash',
      '\\N',
      'nul\0',
      '\b\f',
      "it's",
      'ünï 日本 😀',
    ];
    const rows = texts.map((text, i) => ({ i, text, big: i % 2 === 0 ? '18446744073709551615' : String(i) }));
    await insertTsv(ch, 'tsv_awkward', ['i', 'text', 'big'], rows);
    expect(await queryRows(ch, 'SELECT i, text, toString(big) AS big FROM tsv_awkward ORDER BY i')).toEqual(rows);
  });

  it('applies every migration, stores and derives rollups, and answers the report queries exactly', async () => {
    const ch = current.client;
    const applied = await runMigrations(ch, migrationsDir());
    expect(applied.applied.length).toBeGreaterThanOrEqual(4);
    expect(await runMigrations(ch, migrationsDir())).toEqual({ applied: [], skipped: applied.applied });

    const events = makeEnrichedEvents(2000, 5, 0);
    // One app the catalog did not know, so the unresolved-app measure has something to count.
    const unknownApp = events[0]!.app_id;
    for (const e of events) if (e.app_id === unknownApp) e.app_resolved = false;
    const storedAt = toClickHouseDateTime(new Date());
    const byPartition = [0, 1, 2].map((p) => events.filter((_, i) => i % 3 === p));
    for (const [partition, list] of byPartition.entries()) {
      // Two INSERTs per partition, each followed by a derivation, as the sink does.
      const half = Math.floor(list.length / 2);
      for (const [first, chunk] of [
        [0, list.slice(0, half)],
        [half, list.slice(half)],
      ] as const) {
        const rows = chunk.map((e, i) =>
          usageEventRow(e, { topic: 'usage.enriched', partition, offset: String(first + i) }, storedAt),
        );
        await insertRows(ch, 'usage_events', rows);
        await deriveRollups(ch, 'usage.enriched', partition, BigInt(first + chunk.length));
      }
    }

    const expected = referenceDistrictRollup(events);
    const days = [...new Set(events.map((e) => e.local_date))].sort();
    const period = { districtId: 'd1', from: days[0]!, to: days[days.length - 1]! };
    const district = await districtAppUsage(ch, period);
    const totalEvents = [...expected.values()].reduce((s, c) => s + c.events, 0);
    expect(district.reduce((s, r) => s + r.events, 0)).toBe(totalEvents);
    const expectedSeconds = [...expected.values()].reduce((s, c) => s + c.explicitSeconds + 60 * c.activeMinutes, 0);
    expect(district.reduce((s, r) => s + r.engaged_seconds, 0)).toBe(expectedSeconds);
    expect((await schoolAppUsage(ch, period)).reduce((s, r) => s + r.events, 0)).toBe(totalEvents);
    const withClass = events.filter((e) => e.class_id !== null).length;
    expect((await classAppUsage(ch, period)).reduce((s, r) => s + r.events, 0)).toBe(withClass);
    const unresolved = await unresolvedSummary(ch, period);
    expect(unresolved.total_events).toBe(totalEvents);
    expect(unresolved.unresolved_person_events).toBe(events.filter((e) => !e.person_resolved).length);
    const unresolvedApp = events.filter((e) => !e.app_resolved);
    expect(unresolvedApp.length).toBeGreaterThan(0);
    expect(unresolved.unresolved_app_events).toBe(unresolvedApp.length);
    expect(unresolved.top_unresolved_apps).toEqual([
      {
        app_id: unknownApp,
        events: unresolvedApp.length,
        active_users: new Set(unresolvedApp.map((e) => e.person_id)).size,
      },
    ]);
    expect(await deadLetterSummary(ch, 'd1')).toEqual([]);
  });

  it('claims duplicates (event_claims lookup and insert) as on 18.16', async () => {
    const ch = current.client;
    await runMigrations(ch, migrationsDir());
    const events = makeEnrichedEvents(300, 17, 0.2); // the copies come after the originals
    const claims = events.map((e, i) => ({ key: e.dedup_key, localDate: e.local_date, offset: String(i) }));
    const firstOfKey = new Map<string, number>();
    claims.forEach((c, i) => firstOfKey.set(c.key, firstOfKey.get(c.key) ?? i));
    const expected = claims.map((c, i) => firstOfKey.get(c.key) === i);
    // Two batches in offset order, then the first one redelivered: same answers each time.
    const half = 200;
    const owned = [
      ...(await claimEvents(ch, 'usage.enriched', 7, claims.slice(0, half))),
      ...(await claimEvents(ch, 'usage.enriched', 7, claims.slice(half))),
    ];
    expect(owned).toEqual(expected);
    expect(await claimEvents(ch, 'usage.enriched', 7, claims.slice(0, half))).toEqual(expected.slice(0, half));
  });

  it('round-trips hostile strings through the escaping helper', async () => {
    for (const value of ["O'Brien", 'back\\slash', "x'); DROP TABLE usage_events; --", 'tab\tnew\nline', '漢字']) {
      const [row] = await queryRows<{ v: string }>(current.client, `SELECT ${sqlString(value)} AS v`);
      expect(row?.v).toBe(value);
    }
  });
});
