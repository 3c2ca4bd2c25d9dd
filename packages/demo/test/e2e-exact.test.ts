/**
 * End to end on the real services (Kafka, ClickHouse, Redis; ingest/enrich/aggregate as child
 * processes): a generated district sent through the real entry points (HTTP native + Caliper, Squid
 * file import) ends up in the rollups with exactly the numbers an independent reference computes from
 * the generator's truth and the roster (support/reference.ts). Then: re-sent batches and a re-imported
 * file change nothing, and poison input lands in the DLQ or the unresolved counts while the good
 * events beside it are stored.
 */
import { gzipSync } from 'node:zlib';
import { queryRows, sqlList, sqlString } from '@edusage/clickhouse';
import { enrichedEventId } from '@edusage/enrich';
import { unresolvedSummary } from '@edusage/reports';
import { compactRollups } from '@edusage/rollups';
import { sendCaliperFile, sendNativeFile } from '../src/send';
import { importSquidFile, sendSampleEvents } from '../src/pipeline';
import {
  countRows,
  deadLetterCounts,
  DISTRICT,
  PSEUDONYM_KEY,
  readRollups,
  setupE2E,
  TIMEZONE,
  topicEnd,
  type E2E,
  expectStoredAsReference,
  expectUsageReportsAsReference,
} from './support/e2e';
import { buildReference, pseudonym, sorted, type Cell, type Reference } from './support/reference';

jest.setTimeout(180_000);

/**
 * The dead letter each generated malformation must give (`<stage>:<reason code>:<field>`): HTTP
 * rejects are stage `ingest`, file-import rejects stage `import`; the field is the one the generator's
 * truth names (services/ingest/README.md, packages/contracts/README.md).
 */
function expectedDeadLetters(ref: Reference): Map<string, number> {
  const code: Record<string, string> = {
    not_json: 'malformed_json',
    garbage_line: 'unparseable_line',
    missing_user: 'missing_identifier',
    missing_actor: 'missing_identifier',
    wrong_type: 'invalid_field',
    negative_duration: 'invalid_field',
    future_timestamp: 'invalid_field',
  };
  const out = new Map<string, number>();
  for (const [k, n] of ref.malformed) {
    const [format, reason, field] = k.split('|') as [string, string, string];
    const key = `${format === 'squid' ? 'import' : 'ingest'}:${code[reason] ?? `?${reason}`}:${field}`;
    out.set(key, (out.get(key) ?? 0) + n);
  }
  return out;
}

describe('end to end: exact numbers, duplicates, poison input', () => {
  let e2e: E2E;
  let ref: Reference;
  let window: { from: string; to: string };

  beforeAll(async () => {
    e2e = await setupE2E('e2e_exact');
    ref = buildReference(e2e.sample, PSEUDONYM_KEY);
    window = { from: e2e.sample.days[0]!.date, to: e2e.sample.days[e2e.sample.days.length - 1]!.date };
  });

  afterAll(async () => {
    await e2e?.teardown();
  });

  it('stores every rollup cell, unresolved count and dead letter exactly as the reference computes it', async () => {
    // The reference itself: the truth agrees with the roster, and the sample exercises every rule.
    expect(ref.truthMismatches).toEqual([]);
    expect(ref.malformed.size).toBe(13); // every malformation of the generator's table
    expect(ref.attribution.explicit).toBeGreaterThan(50);
    expect(ref.attribution.inferred).toBeGreaterThan(200);
    expect(ref.unresolvedPeople.size).toBe(4);
    expect(ref.unresolvedApps.size).toBe(4);
    expect(ref.class.size).toBeGreaterThan(50);

    const sent = await sendSampleEvents(e2e.pipeline, DISTRICT, e2e.files, e2e.keys);
    // The send summaries agree with the truth before anything downstream is looked at.
    const malformedByFormat = (f: string) =>
      [...ref.malformed].filter(([k]) => k.startsWith(`${f}|`)).reduce((s, [, n]) => s + n, 0);
    expect(sent.native.rejected).toBe(malformedByFormat('native'));
    expect(sent.caliper.rejected).toBe(malformedByFormat('caliper'));
    expect(sent.squid.rejected).toBe(malformedByFormat('squid'));
    // Valid proxy lines that are no event (folded assets and tunnels, failed requests), by reason.
    const truthSkips: Record<string, number> = {};
    for (const r of e2e.sample.records()) if (r.skip) truthSkips[r.skip] = (truthSkips[r.skip] ?? 0) + 1;
    expect(Object.keys(truthSkips).sort()).toEqual(['proxy_failed', 'proxy_folded']);
    expect(sent.squid.skippedByCode).toEqual(truthSkips);
    await e2e.drain();

    await expectStoredAsReference(e2e.ch, ref);

    // Unresolved people (by pseudonym) and apps (by `domain:<host>`), each with its event count.
    const people = await queryRows<{ person_id: string; n: string }>(
      e2e.ch,
      `SELECT person_id, count() AS n FROM usage_events WHERE person_resolved = 0 GROUP BY person_id`,
    );
    expect(new Map(people.map((r) => [r.person_id, Number(r.n)]))).toEqual(ref.unresolvedPeople);
    const apps = await queryRows<{ app_id: string; n: string }>(
      e2e.ch,
      `SELECT app_id, count() AS n FROM usage_events WHERE app_resolved = 0 GROUP BY app_id`,
    );
    expect(new Map(apps.map((r) => [r.app_id, Number(r.n)]))).toEqual(ref.unresolvedApps);
    const attribution = await queryRows<{ a: string; n: string }>(
      e2e.ch,
      `SELECT class_attribution AS a, count() AS n FROM usage_events GROUP BY a`,
    );
    expect(Object.fromEntries(attribution.map((r) => [r.a, Number(r.n)]))).toEqual(ref.attribution);

    // Dead letters by stage, reason and field, one per malformed generated item.
    expect(sorted(await deadLetterCounts(e2e.ch))).toEqual(sorted(expectedDeadLetters(ref)));
  });

  it('keeps names, emails, usernames and raw person ids out of every ClickHouse table', async () => {
    // Privacy (BRIEF section 6): nothing that names a person gets past enrich. The sample is stored by
    // the test above; every row of every table is read back and searched.
    const users = e2e.sample.roster.users;
    const identifiers = users.flatMap((u) => [u.sourcedId, u.email, u.username]).filter((v) => v.length >= 4);
    const names = new Set(users.flatMap((u) => [u.givenName, u.familyName]).filter((v) => v.length > 0));
    const tables = await queryRows<{ name: string }>(
      e2e.ch,
      `SELECT name FROM system.tables WHERE database = currentDatabase() AND engine NOT IN ('MaterializedView', 'View')`,
    );
    expect(tables.length).toBeGreaterThan(5);
    const escape = (v: string) => v.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const identifierPattern = new RegExp(identifiers.map(escape).join('|'));
    const leakIn = (row: Record<string, unknown>): string | null =>
      identifierPattern.exec(JSON.stringify(row))?.[0] ??
      Object.values(row).find((v): v is string => typeof v === 'string' && names.has(v)) ??
      null;
    // The detector itself must see a planted leak.
    expect(leakIn({ note: `x ${users[0]!.email} y` })).toBe(users[0]!.email);
    expect(leakIn({ who: users[0]!.familyName })).toBe(users[0]!.familyName);
    let rowsRead = 0;
    const leaks: string[] = [];
    for (const { name } of tables) {
      const rows = await queryRows<Record<string, unknown>>(e2e.ch, `SELECT * FROM ${name}`);
      rowsRead += rows.length;
      for (const row of rows) {
        const leak = leakIn(row);
        if (leak !== null) leaks.push(`${name}: ${leak}`);
      }
    }
    expect(leaks).toEqual([]);
    expect(rowsRead).toBeGreaterThan(ref.storedEvents); // the events and the dimension tables were all read
  });

  it('reports (what the demo prints) give the reference figures over the whole period, before and after a rollup compaction', async () => {
    const expectReportsAsReference = async () => {
      const period = { districtId: DISTRICT, ...window };
      await expectUsageReportsAsReference(e2e.ch, period, ref);
      // A period sum of daily active users would overcount: the sample has people active on several days.
      const dailySum = [...ref.district.values()].reduce((n, c) => n + c.activeUsers, 0);
      const periodSum = [...ref.period.district.values()].reduce((n, u) => n + u.activeUsers, 0);
      expect(dailySum).toBeGreaterThan(periodSum);

      const unresolved = await unresolvedSummary(e2e.ch, period);
      const sum = (m: Map<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);
      expect(unresolved.total_events).toBe(ref.storedEvents);
      expect(unresolved.unresolved_person_events).toBe(sum(ref.unresolvedPeople));
      expect(unresolved.unresolved_app_events).toBe(sum(ref.unresolvedApps));
      expect(unresolved.unattributed_school_events).toBe(ref.period.unattributedSchoolEvents);
      expect(new Map(unresolved.top_unresolved_apps.map((d) => [d.app_id, [d.events, d.active_users]]))).toEqual(
        new Map([...ref.unresolvedApps].map(([app, n]) => [app, [n, ref.period.unresolvedAppUsers.get(app)]])),
      );
    };
    await expectReportsAsReference();
    // As the jobs service does every hour: the reports then read the compacted cells (and the tests
    // below, which send more, read the compaction plus the newer contributions).
    const compacted = (await compactRollups(e2e.ch)).filter((m) => m.generation !== null);
    expect(compacted.length).toBeGreaterThan(0);
    await expectReportsAsReference();
  });

  it('keeps every number unchanged when HTTP batches are re-sent and the Squid file is imported again', async () => {
    const rawBefore = await topicEnd(e2e.kafka, e2e.env.topics.raw);
    const lettersBefore = await deadLetterCounts(e2e.ch);
    // A client that lost the responses re-sends every batch, byte for byte; the proxy log is imported twice.
    const [native, caliper] = await Promise.all([
      sendNativeFile(e2e.files.native, e2e.pipeline.ingestUrl, e2e.keys, 'agent'),
      sendCaliperFile(e2e.files.caliper, e2e.pipeline.ingestUrl, e2e.keys.caliper!),
    ]);
    const squid = await importSquidFile(e2e.serviceEnv, DISTRICT, e2e.files.squid);
    const resent = native.accepted + caliper.accepted + squid.accepted;
    // Every valid event went through ingest again (first copies and the generator's own retries).
    expect(resent).toBe(
      ref.storedEvents + [...e2e.sample.events()].filter((e) => !e.malformed && e.duplicate_of !== null).length,
    );
    expect((await topicEnd(e2e.kafka, e2e.env.topics.raw)) - rawBefore).toBe(resent);
    await e2e.drain();

    await expectStoredAsReference(e2e.ch, ref);
    // Rejected input is dead-lettered each time it is sent: a dead letter records a rejection, not an event.
    const again = expectedDeadLetters(ref);
    for (const [k, n] of lettersBefore) again.set(k, (again.get(k) ?? 0) + n);
    expect(sorted(await deadLetterCounts(e2e.ch))).toEqual(sorted(again));
  });

  it('sends poison input to the DLQ (or refuses it) and counts unknown people and apps as unresolved', async () => {
    const url = e2e.pipeline.ingestUrl;
    const post = (
      route: string,
      requestId: string,
      body: string | Buffer,
      opts: { key?: string | null; type?: string; gzip?: boolean } = {},
    ) =>
      fetch(`${url}${route}`, {
        method: 'POST',
        headers: {
          ...(opts.key === null ? {} : { authorization: `Bearer ${opts.key ?? e2e.keys.agent}` }),
          'content-type': opts.type ?? 'application/json',
          'x-request-id': requestId,
          ...(opts.gzip ? { 'content-encoding': 'gzip' } : {}),
        },
        body: opts.gzip ? gzipSync(body) : body,
      });
    // A day of its own (today, local), so the sample's cells stay as they are.
    const now = Date.now() - 2 * 3_600_000;
    const at = new Date(now).toISOString();
    const today = new Intl.DateTimeFormat('en-CA', { timeZone: TIMEZONE }).format(new Date(now));
    expect(today > window.to).toBe(true);
    // usage_events holds enrich's keyed digest of each sent event_id (`enrichedEventId`), not the id:
    // every poison event's stored id (all are sent with the agent key), back to its sent id.
    const sentIdOf = new Map<string, string>();
    const ev = (id: string, extra: Record<string, unknown>) => {
      const eventId = `poison-${id}`;
      sentIdOf.set(enrichedEventId(PSEUDONYM_KEY, DISTRICT, 'agent', eventId), eventId);
      return { event_id: eventId, occurred_at: at, type: 'use', ...extra };
    };
    const known = ev('good-known', {
      user: { sourced_id: 'stu-000001' },
      app: { app_id: 'google-docs' },
      active_seconds: 120,
    });
    const ghost = ev('good-ghost', {
      type: 'page_view',
      user: { sourced_id: 'stu-ghost-999' },
      app: { domain: 'www.Unknown-Game.example' },
    });
    const vendorApp = ev('good-vendor-app', {
      user: { sourced_id: 'stu-000001' },
      app: { app_id: 'vendor-app-x' },
      active_seconds: 60,
    });
    const ndjsonGood = ev('good-ndjson', {
      user: { sourced_id: 'stu-000002' },
      app: { domain: 'docs.google.com' },
      active_seconds: 30,
    });

    // 1. Not JSON at all: 400, the whole body is one dead letter.
    const r1 = await post('/v1/events', 'poison-notjson', '{"event_id": "x", oops');
    expect(r1.status).toBe(400);
    // 2. Good events beside bad ones (wrong types, no user, far future): 202, bad ones dead-lettered.
    const r2 = await post(
      '/v1/events',
      'poison-mixed',
      JSON.stringify([
        known,
        ev('bad-type', { user: { sourced_id: 'stu-000001' }, app: { app_id: 'google-docs' }, active_seconds: 'ten' }),
        ghost,
        ev('bad-user', { user: {}, app: { app_id: 'google-docs' } }),
        vendorApp,
        ev('bad-future', {
          user: { sourced_id: 'stu-000001' },
          app: { app_id: 'google-docs' },
          occurred_at: new Date(Date.now() + 3 * 86_400_000).toISOString(),
        }),
        'a string, not an event',
      ]),
    );
    expect(r2.status).toBe(202);
    const b2 = (await r2.json()) as {
      accepted: number;
      rejected: { index: number; reason: { code: string; field?: string } }[];
    };
    expect(b2.accepted).toBe(3);
    expect(b2.rejected.map((r) => [r.index, r.reason.code, r.reason.field])).toEqual([
      [1, 'invalid_field', 'active_seconds'],
      [3, 'missing_identifier', 'user'],
      [5, 'invalid_field', 'occurred_at'],
      [6, 'invalid_field', undefined],
    ]);
    // 3. NDJSON with a broken line: the good line is taken, the broken one dead-lettered with its line.
    const r3 = await post('/v1/events', 'poison-ndjson', `${JSON.stringify(ndjsonGood)}\n{"event_id": tru\n`, {
      type: 'application/x-ndjson',
    });
    expect(r3.status).toBe(202);
    // 4. Caliper: an envelope whose only event has no actor → 422, dead-lettered.
    const r4 = await post(
      '/v1/caliper',
      'poison-caliper',
      JSON.stringify({
        sensor: 'https://example.org/sensor',
        sendTime: at,
        dataVersion: 'http://purl.imsglobal.org/ctx/caliper/v1p2',
        data: [
          {
            '@context': 'http://purl.imsglobal.org/ctx/caliper/v1p2',
            id: 'urn:uuid:5f2b1c7e-0000-4000-8000-000000000001',
            type: 'NavigationEvent',
            action: 'NavigatedTo',
            object: { id: 'https://www.khanacademy.org/x', type: 'WebPage' },
            eventTime: at,
          },
        ],
      }),
      { key: e2e.keys.caliper },
    );
    expect(r4.status).toBe(422);
    // 5. Too large: refused whole (413), not dead-lettered, nothing of it stored (the client still has it).
    const filler = 'x'.repeat(2000);
    const huge = JSON.stringify(
      Array.from({ length: 3000 }, (_, i) =>
        ev(`huge-${i}`, {
          user: { sourced_id: 'stu-000001' },
          app: { domain: 'huge.example', url: `https://huge.example/${filler}` },
        }),
      ),
    );
    expect(Buffer.byteLength(huge)).toBeGreaterThan(5 * 1024 * 1024);
    // Sent plainly, the server answers 413 and closes the connection while the client may still be
    // uploading, so the client sees either the 413 or a reset (EPIPE/ECONNRESET); either way nothing is taken.
    const r5 = await post('/v1/events', 'poison-huge', huge).catch((err: Error & { cause?: { code?: string } }) => {
      expect(['EPIPE', 'ECONNRESET', 'UND_ERR_SOCKET']).toContain(err.cause?.code);
      return null;
    });
    if (r5 !== null) expect(r5.status).toBe(413);
    // Gzipped (a few KB on the wire, fully sent): the limit applies to the inflated size, a clean 413.
    const r5z = await post('/v1/events', 'poison-huge-gzip', huge, { gzip: true });
    expect(r5z.status).toBe(413);
    // 6. Unknown or missing source key: 401, the body is never read, not dead-lettered.
    const r6 = await post(
      '/v1/events',
      'poison-nokey',
      JSON.stringify([ev('nokey', { user: { sourced_id: 'stu-000001' }, app: { app_id: 'google-docs' } })]),
      {
        key: 'this-is-not-a-key',
      },
    );
    expect(r6.status).toBe(401);
    const r7 = await post(
      '/v1/events',
      'poison-missingkey',
      JSON.stringify([ev('missingkey', { user: { sourced_id: 'stu-000001' }, app: { app_id: 'google-docs' } })]),
      {
        key: null,
      },
    );
    expect(r7.status).toBe(401);

    await e2e.drain();

    const letters = await queryRows<{
      origin: string;
      stage: string;
      code: string;
      field: string;
      line: number;
      district_id: string;
    }>(
      e2e.ch,
      `SELECT origin, stage, reason_code AS code, reason_field AS field, reason_line AS line, district_id
       FROM dead_letters WHERE origin LIKE 'poison-%' ORDER BY origin`,
    );
    expect(letters).toEqual([
      {
        origin: 'poison-caliper#0',
        stage: 'ingest',
        code: 'missing_identifier',
        field: 'actor',
        line: 0,
        district_id: DISTRICT,
      },
      {
        origin: 'poison-mixed#1',
        stage: 'ingest',
        code: 'invalid_field',
        field: 'active_seconds',
        line: 0,
        district_id: DISTRICT,
      },
      {
        origin: 'poison-mixed#3',
        stage: 'ingest',
        code: 'missing_identifier',
        field: 'user',
        line: 0,
        district_id: DISTRICT,
      },
      {
        origin: 'poison-mixed#5',
        stage: 'ingest',
        code: 'invalid_field',
        field: 'occurred_at',
        line: 0,
        district_id: DISTRICT,
      },
      { origin: 'poison-mixed#6', stage: 'ingest', code: 'invalid_field', field: '', line: 0, district_id: DISTRICT },
      { origin: 'poison-ndjson:2', stage: 'ingest', code: 'malformed_json', field: '', line: 2, district_id: DISTRICT },
      {
        origin: 'poison-notjson#0',
        stage: 'ingest',
        code: 'malformed_json',
        field: '',
        line: 0,
        district_id: DISTRICT,
      },
    ]);

    // The good events beside the poison are stored, unknown people and apps kept and flagged.
    const stored = (
      await queryRows<Record<string, string | number>>(
        e2e.ch,
        `SELECT event_id, person_id, person_resolved, role, app_id, app_resolved, explicit_seconds, counts_minute, toString(local_date) AS day
         FROM usage_events WHERE event_id IN ${sqlList([...sentIdOf.keys()], sqlString)}`,
      )
    )
      .map((r) => ({ ...r, event_id: sentIdOf.get(String(r.event_id)) ?? `unknown stored id ${r.event_id}` }))
      .sort((a, b) => a.event_id.localeCompare(b.event_id));
    const p = (id: string) => pseudonym(PSEUDONYM_KEY, DISTRICT, id);
    expect(stored).toEqual([
      {
        event_id: 'poison-good-ghost',
        person_id: p('stu-ghost-999'),
        person_resolved: 0,
        role: 'unknown',
        app_id: 'domain:unknown-game.example',
        app_resolved: 0,
        explicit_seconds: 0,
        counts_minute: 1,
        day: today,
      },
      {
        event_id: 'poison-good-known',
        person_id: p('stu-000001'),
        person_resolved: 1,
        role: 'student',
        app_id: 'google-docs',
        app_resolved: 1,
        explicit_seconds: 120,
        counts_minute: 0,
        day: today,
      },
      {
        event_id: 'poison-good-ndjson',
        person_id: p('stu-000002'),
        person_resolved: 1,
        role: 'student',
        app_id: 'google-docs',
        app_resolved: 1,
        explicit_seconds: 30,
        counts_minute: 0,
        day: today,
      },
      {
        event_id: 'poison-good-vendor-app',
        person_id: p('stu-000001'),
        person_resolved: 1,
        role: 'student',
        app_id: 'vendor-app-x',
        app_resolved: 0,
        explicit_seconds: 60,
        counts_minute: 0,
        day: today,
      },
    ]);
    const cell = (events: number, users: number, seconds: number, minutes: number, unresolved: number): Cell => ({
      events,
      activeUsers: users,
      explicitSeconds: seconds,
      activeMinutes: minutes,
      engagedSeconds: seconds + 60 * minutes,
      unresolvedPersonEvents: unresolved,
    });
    const day = await readRollups(e2e.ch, DISTRICT, { from: today, to: today });
    expect(sorted(day.district)).toEqual(
      sorted(
        new Map([
          [`${today}|domain:unknown-game.example|unknown`, cell(1, 1, 0, 1, 1)],
          [`${today}|google-docs|student`, cell(2, 2, 150, 0, 0)],
          [`${today}|vendor-app-x|student`, cell(1, 1, 60, 0, 0)],
        ]),
      ),
    );
    // The report counts both kinds of unresolved app: a host no catalog knows and an unknown explicit app_id.
    const todayReport = await unresolvedSummary(e2e.ch, { districtId: DISTRICT, from: today, to: today });
    expect(todayReport.unresolved_app_events).toBe(2);
    expect(todayReport.top_unresolved_apps).toEqual([
      { app_id: 'domain:unknown-game.example', events: 1, active_users: 1 },
      { app_id: 'vendor-app-x', events: 1, active_users: 1 },
    ]);

    // The sample's own numbers are untouched by all of this.
    expect(await countRows(e2e.ch, 'usage_events')).toBe(ref.storedEvents + 4);
    const sample = await readRollups(e2e.ch, DISTRICT, window);
    expect(sorted(sample.district)).toEqual(sorted(ref.district));
    expect(sorted(sample.school)).toEqual(sorted(ref.school));
    expect(sorted(sample.class)).toEqual(sorted(ref.class));
  });
});
