/** Shared by the API suites: a seeded two-district database and the API app in-process. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { createClickHouse, dropDatabase, insertRows, type ClickHouseClient } from '@edusage/clickhouse';
import { researchDatabaseOf } from '@edusage/research';
import { deadLetterRow, deriveRollups, usageEventRow } from '@edusage/aggregate';
import type { EnrichedEvent } from '@edusage/contracts';
import { importLicenses } from '@edusage/licenses';
import { createLogger } from '@edusage/logging';
import { createTestEnv, type TestEnv } from '@edusage/testkit';
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { buildServer, loadApiConfig, startApi, type ApiService, type Endpoint, type Role } from '@edusage/api';

export const DAYS = ['2026-09-14', '2026-09-15', '2026-09-16'];
export const PERIOD = { from: DAYS[0]!, to: DAYS[2]! };

/** One seeded event, in the terms of its meaning (the expectations are computed from these). */
export interface SeedEvent {
  district: string;
  day: string;
  minute: number;
  person: string;
  role: 'student' | 'teacher';
  school: string | null;
  class: string | null;
  app: string;
  appResolved: boolean;
  personResolved: boolean;
  seconds: number;
  /** The network the event came from (default unknown). */
  campus?: 'on' | 'off' | 'unknown';
}

export const hex = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 32);

/**
 * District A (dA): schools sA1, sA2, classes cA1 (sA1), cA2 (sA2), apps appa1, appa2 and an unresolved
 * domain, six people, one of them not in the roster. District B (dB): one school, one app. Ids never
 * overlap, so any dA id in a dB answer is a leak.
 */
export function seedEvents(): SeedEvent[] {
  const out: SeedEvent[] = [];
  const add = (e: Omit<SeedEvent, 'appResolved' | 'personResolved' | 'role'> & Partial<SeedEvent>) =>
    out.push({ role: 'student', appResolved: true, personResolved: true, ...e });
  DAYS.forEach((day, d) => {
    for (let p = 1; p <= 4; p++) {
      const school = p <= 2 ? 'sA1' : 'sA2';
      const cls = p <= 2 ? 'cA1' : 'cA2';
      add({
        district: 'dA',
        day,
        minute: 10 + p,
        person: `pA${p}`,
        school,
        class: cls,
        app: 'appa1',
        seconds: 300 * p,
        campus: p <= 2 ? 'on' : 'off',
      });
      if ((p + d) % 2 === 0)
        add({
          district: 'dA',
          day,
          minute: 20 + p,
          person: `pA${p}`,
          school,
          class: null,
          app: 'appa2',
          seconds: 0,
          campus: 'off',
        });
    }
    add({
      district: 'dA',
      day,
      minute: 30,
      person: 'pA5',
      role: 'teacher',
      school: 'sA1',
      class: 'cA1',
      app: 'appa1',
      seconds: 60,
      campus: 'on',
    });
    add({
      district: 'dA',
      day,
      minute: 31 + d,
      person: 'pA6',
      school: null,
      class: null,
      app: 'domain:unknown.example',
      appResolved: false,
      personResolved: false,
      seconds: 0,
    });
    add({ district: 'dB', day, minute: 5, person: 'pB1', school: 'sB1', class: 'cB1', app: 'appb1', seconds: 120 });
    add({ district: 'dB', day, minute: 6, person: 'pB2', school: 'sB1', class: null, app: 'appb1', seconds: 0 });
  });
  return out;
}

export function enriched(e: SeedEvent, i: number): EnrichedEvent {
  const occurred = `${e.day}T14:${String(e.minute).padStart(2, '0')}:00.000Z`;
  return {
    v: 1,
    dedup_key: hex(`k${i}`),
    event_id: `e${i}`,
    occurred_at: occurred,
    local_date: e.day,
    district_id: e.district,
    school_id: e.school,
    class_id: e.class,
    class_attribution: e.class ? 'explicit' : 'none',
    person_id: hex(e.person),
    person_resolved: e.personResolved,
    role: e.personResolved ? e.role : 'unknown',
    app_id: e.app,
    app_resolved: e.appResolved,
    app_domain: e.appResolved ? null : e.app.slice('domain:'.length),
    source: 'agent',
    type: e.seconds > 0 ? 'use' : 'page_view',
    campus: e.campus ?? 'unknown',
    explicit_seconds: e.seconds,
    counts_minute: e.seconds === 0,
    raw: { topic: 'raw', partition: 0, offset: String(i) },
    enriched_at: occurred,
  };
}

const LICENSE_HEADER =
  'licenseId,appId,vendor,orgSourcedId,seatsPurchased,contractCost,costBasis,currency,contractStartDate,renewalDate';

/** Stores the events and folds them into the rollups with the aggregate's own functions; licenses, roster, letters. */
export async function seed(ch: ClickHouseClient, events = seedEvents()): Promise<void> {
  const topic = 'seed.enriched';
  const rows = events.map((e, i) =>
    usageEventRow(enriched(e, i), { topic, partition: 0, offset: String(i) }, '2026-09-17 00:00:00'),
  );
  await insertRows(ch, 'usage_events', rows);
  await deriveRollups(ch, topic, 0, BigInt(rows.length));

  const people = ['pA1', 'pA2', 'pA3', 'pA4', 'pA5'].map((p, i) => ({
    district_id: 'dA',
    roster_version: 'r1',
    person_id: hex(p),
    role: p === 'pA5' ? 'teacher' : 'student',
    grade: '05',
    school_id: i < 2 || p === 'pA5' ? 'sA1' : 'sA2',
    school_ids: [i < 2 || p === 'pA5' ? 'sA1' : 'sA2'],
    enabled: 1,
    status: 'active',
  }));
  await insertRows(ch, 'dim_people', people);
  await insertRows(ch, 'dim_roster_versions', [
    {
      district_id: 'dA',
      roster_version: 'r1',
      imported_ms: 1,
      imported_at: '2026-09-01 00:00:00',
      oneroster_version: '1.1',
      orgs: 2,
      classes: 2,
      people: people.length,
      enrollments: 0,
    },
  ]);
  await seedLicenses(ch, 'dA', [
    'L-A1,appa1,VendorA,dA,10,1000,flat,USD,2026-07-01,2027-06-30',
    'L-A2,appa2,VendorA,sA2,5,20,per_seat,USD,2026-07-01,2026-10-01',
  ]);
  await seedLicenses(ch, 'dB', ['L-B1,appb1,VendorB,dB,3,300,flat,USD,2026-07-01,2027-06-30']);

  // Assessments: pre on the first day, post on the last, for the four students of dA (and one of dB).
  const result = (district: string, person: string, day: string, score: number) => ({
    district_id: district,
    assessment: 'map_growth',
    subject: 'math',
    person_id: hex(person),
    test_date: day,
    score,
    window: day === DAYS[0] ? 'Fall' : 'Winter',
    standard_error: 3,
    percentile: 50,
    projected_growth: 5,
    grade: '05',
  });
  await insertRows(ch, 'assessment_results', [
    ...['pA1', 'pA2', 'pA3', 'pA4'].flatMap((p, i) => [
      result('dA', p, DAYS[0]!, 200 + i),
      result('dA', p, DAYS[2]!, 204 + 2 * i),
    ]),
    result('dB', 'pB1', DAYS[0]!, 210),
    result('dB', 'pB1', DAYS[2]!, 215),
  ]);

  const alert = (district: string, license: string, app: string) => ({
    alert_id: hex(`${district}${license}`),
    district_id: district,
    license_id: license,
    app_id: app,
    renewal_date: '2026-10-01',
    threshold_days: 30,
    days_to_renewal: 15,
    detected_on: '2026-09-16',
    window_from: '2026-08-17',
    window_to: '2026-09-15',
    used_share: 0.2,
    utilization: 0.2,
    seats: 5,
    unlimited_seats: 0,
    active: 1,
    total_cost: 100,
    currency: 'USD',
    created_ms: 1,
  });
  await insertRows(ch, 'license_renewal_alerts', [alert('dA', 'L-A2', 'appa2'), alert('dB', 'L-B1', 'appb1')]);

  const letter = (
    district: string | undefined,
    code: string,
    payload: string,
    offset: number,
    failedAt = '2026-09-15T10:00:00.000Z',
  ) =>
    deadLetterRow(
      {
        v: 1,
        failed_at: failedAt,
        stage: 'ingest',
        source: 'agent',
        ...(district !== undefined ? { district_id: district } : {}),
        reason: { code, message: `bad ${code}`, field: 'occurred_at' },
        payload,
        payload_truncated: false,
        origin: `req#${offset}`,
      } as Parameters<typeof deadLetterRow>[0],
      { topic: 'seed.dlq', partition: 0, offset: String(offset) },
      failedAt.slice(0, 19).replace('T', ' '),
    );
  await insertRows(ch, 'dead_letters', [
    letter('dA', 'invalid_field', '{"a":1}', 0),
    letter('dA', 'invalid_field', '{"a":1}', 1), // the same input re-sent: counts once
    letter('dA', 'invalid_field', '{"a":2}', 2),
    letter('dA', 'malformed_json', '{', 3),
    letter('dB', 'malformed_json', '[', 4),
    letter(undefined, 'malformed_json', '{{', 5),
    letter('dA', 'invalid_field', '{"a":2}', 6, '2026-09-16T09:00:00.000Z'), // re-sent a day later: still once, on 09-15
    letter('dA', 'malformed_json', '{"b"', 7, '2026-09-17T08:00:00.000Z'), // the API clock's today
  ]);
}

/** Research rows as the refresh would store them (one suppressed), for dA and dB. */
export async function seedResearch(research: ClickHouseClient): Promise<void> {
  const school = (district: string, schoolId: string, app: string, students: number | null) => ({
    week_start: '2026-09-14',
    district_id: district,
    school_id: schoolId,
    app_id: app,
    active_students: students,
    events: students === null ? null : students * 3,
    engaged_hours: students === null ? null : students / 2,
    suppressed: students === null ? 1 : 0,
    k: 10,
  });
  await insertRows(research, 'weekly_app_usage_school', [
    school('dA', 'sA1', 'appa1', 12),
    school('dA', 'sA2', 'appa1', null),
    school('dB', 'sB1', 'appb1', 15),
  ]);
  const band = (district: string, app: string, students: number | null) => ({
    school_year: '2026-27',
    district_id: district,
    app_id: app,
    assessment: 'map_growth',
    subject: 'math',
    goal_minutes_per_week: 30,
    band: 'at_goal',
    students,
    mean_pre: students === null ? null : 200,
    mean_post: students === null ? null : 206,
    mean_growth: students === null ? null : 6,
    growth_ci_low: students === null ? null : 4,
    growth_ci_high: students === null ? null : 8,
    suppressed: students === null ? 1 : 0,
    k: 10,
  });
  await insertRows(research, 'outcome_bands', [band('dA', 'appa1', 11), band('dB', 'appb1', 14)]);
}

export async function seedLicenses(ch: ClickHouseClient, districtId: string, lines: string[]): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'edusage-api-'));
  try {
    const file = path.join(dir, 'licenses.csv');
    writeFileSync(file, [LICENSE_HEADER, ...lines].join('\n') + '\n');
    const r = await importLicenses(ch, districtId, file);
    if (r.rejected > 0 || r.refused) throw new Error(`seed licenses rejected: ${JSON.stringify(r)}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface Harness {
  env: TestEnv;
  ch: ClickHouseClient;
  api: ApiService;
  /** Tokens by name: admin, director, school (sA1), researcher of dA; foreign = admin of dB. */
  tokens: Record<'admin' | 'director' | 'school' | 'researcher' | 'foreign', string>;
  get(
    url: string,
    token?: string,
    headers?: Record<string, string>,
  ): Promise<{ status: number; body: string; json: unknown; headers: Record<string, unknown> }>;
  close(): Promise<void>;
}

export async function startHarness(
  name: string,
  extraEnv: Record<string, string> = {},
  now = new Date('2026-09-17T12:00:00Z'),
): Promise<Harness> {
  const env = await createTestEnv(name);
  const config = loadApiConfig({ ...env.env, API_PORT: '0', API_AUDIT_FLUSH_MS: '200', ...extraEnv });
  const api = await startApi(config, createLogger('api-test', 'silent'), {
    listen: false,
    defaultMetrics: false,
    now: () => now,
  });
  const ch = createClickHouse(env.config);
  await seed(ch);
  const researchConfig = { ...env.config, CLICKHOUSE_DATABASE: researchDatabaseOf(env.config) };
  const research = createClickHouse(researchConfig);
  await seedResearch(research);
  await research.close();
  const make = async (role: Role, district = 'dA', school?: string) =>
    (
      await api.tokens.create({
        districtId: district,
        role,
        ...(school ? { schoolId: school } : {}),
        name: `${role} test`,
      })
    ).token;
  const tokens = {
    admin: await make('admin'),
    director: await make('director'),
    school: await make('school', 'dA', 'sA1'),
    researcher: await make('researcher'),
    foreign: await make('admin', 'dB'),
  };
  return {
    env,
    ch,
    api,
    tokens,
    async get(url, token, headers = {}) {
      const res = await api.app.inject({
        method: 'GET',
        url,
        headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
      });
      let json: unknown = undefined;
      try {
        json = JSON.parse(res.body);
      } catch {
        // CSV or HTML
      }
      return { status: res.statusCode, body: res.body, json, headers: res.headers };
    },
    async close() {
      await api.stop();
      await ch.close();
      await dropDatabase(researchConfig).catch(() => undefined);
      await env.cleanup();
    },
  };
}

/**
 * A second server on the harness's API (its deps, audit and metrics), with its own config from the
 * harness's environment and `extraEnv`, its own Redis connection and, if given, its own endpoints.
 */
export async function serverOf(
  h: Harness,
  opts: { extraEnv?: Record<string, string>; endpoints?: readonly Endpoint[] } = {},
): Promise<{ app: FastifyInstance; redis: Redis; close(): Promise<void> }> {
  const redis = new Redis(h.env.config.REDIS_URL);
  const app = await buildServer({
    config: loadApiConfig({ ...h.env.env, ...opts.extraEnv }),
    logger: createLogger('api-test', 'silent'),
    deps: h.api.deps,
    redis,
    audit: h.api.audit,
    metrics: h.api.metrics,
    ready: async () => ({ ok: true, checks: {} }),
    ...(opts.endpoints ? { endpoints: opts.endpoints } : {}),
  });
  return {
    app,
    redis,
    async close() {
      await app.close();
      redis.disconnect();
    },
  };
}
