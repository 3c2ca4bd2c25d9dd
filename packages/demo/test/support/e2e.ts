/**
 * Shared set-up of the end-to-end suites: a suite's own topics/database/Redis prefix (testkit), a small
 * generated district written to a temporary folder, the three services as child processes
 * (LocalPipeline), and readers of what ended up in ClickHouse.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createClickHouse, queryRows, type ClickHouseClient } from '@edusage/clickhouse';
import { generateDistrict, writeDistrict, type SampleDistrict, type WrittenFiles } from '@edusage/generator';
import { createKafka, type Kafka } from '@edusage/kafka';
import { createLogger } from '@edusage/logging';
import { classAppUsage, districtAppUsage, schoolAppUsage, type Period, type UsageRow } from '@edusage/reports';
import { compactRollups, readCompactionState, rollupRows, type RollupLevel } from '@edusage/rollups';
import { createTestEnv, freePort, type TestEnv } from '@edusage/testkit';
import {
  LocalPipeline,
  createApiKeys,
  importSquidFile,
  loadDistrictReferenceData,
  waitForPipeline,
} from '../../src/pipeline';
import { sorted, type Cell, type PeriodUsage, type Reference } from './reference';

export const DISTRICT = 'd1';
export const TIMEZONE = 'America/Chicago';
export const PSEUDONYM_KEY = 'e2e-test-pseudonym-key-0123456789';

/**
 * First day of the sample: the latest Monday at least 4 days before today (UTC), so the three days
 * Monday–Wednesday are all in the past (ingest refuses events > 24 h ahead) and always school days
 * (the volume does not depend on the weekday the tests run on).
 */
export function sampleStartDate(now = new Date()): string {
  const d = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() - 4));
  while (d.getUTCDay() !== 1) d.setUTCDate(d.getUTCDate() - 1);
  return d.toISOString().slice(0, 10);
}

/** About 3.5k events: 2 schools, 3 school days, with every malformation and some client retries. */
export function sampleDistrict(): SampleDistrict {
  return generateDistrict({
    seed: 8,
    districtId: DISTRICT,
    timezone: TIMEZONE,
    schools: 2,
    classesPerSchool: 6,
    studentsPerClass: 20,
    classesPerStudent: 3,
    days: 3,
    startDate: sampleStartDate(),
    malformedRate: 0.05,
    duplicateRate: 0.01,
  });
}

export interface E2E {
  env: TestEnv;
  /** Environment of the service child processes. */
  serviceEnv: Record<string, string>;
  sample: SampleDistrict;
  files: WrittenFiles;
  keys: Record<string, string>;
  pipeline: LocalPipeline;
  kafka: Kafka;
  ch: ClickHouseClient;
  groups: { ENRICH_GROUP_ID: string; AGGREGATE_GROUP_ID: string };
  /** Waits until enrich and aggregate have consumed everything. */
  drain(timeoutMs?: number): Promise<void>;
  /** Lines of a service's log (JSON lines as text). */
  logOf(name: 'ingest' | 'enrich' | 'aggregate'): string[];
  /** Stops every child process, deletes topics, database, keys and temporary files. Safe to call twice. */
  teardown(): Promise<void>;
}

/**
 * Everything up to "services running, roster and catalog loaded, API keys created". `extraEnv` goes to
 * the services (e.g. shorter session timeouts); `clickhouseUrl` / `redisUrl` point everything at another server.
 */
export async function setupE2E(
  name: string,
  opts: {
    extraEnv?: Record<string, string>;
    clickhouseUrl?: string;
    redisUrl?: string;
    /** A Kafka of the suite's own (e.g. `startPrivateKafkaCluster()`) and its topics' replication factor. */
    kafka?: { brokers: string; replicationFactor: number };
    /** Partitions of the suite's topics (default 3). */
    partitions?: number;
    startServices?: boolean;
  } = {},
): Promise<E2E> {
  const tmp = mkdtempSync(path.join(os.tmpdir(), `edusage-${name}-`));
  let env: TestEnv | null = null;
  let pipeline: LocalPipeline | null = null;
  let ch: ClickHouseClient | null = null;
  let tornDown = false;
  const teardown = async () => {
    if (tornDown) return;
    tornDown = true;
    await pipeline?.stopAll().catch(() => undefined);
    await ch?.close().catch(() => undefined);
    await env?.cleanup().catch(() => undefined);
    if (process.env.KEEP_TEST_DATA !== '1') rmSync(tmp, { recursive: true, force: true });
  };
  try {
    env = await createTestEnv(name, {
      partitions: opts.partitions ?? 3,
      ...(opts.clickhouseUrl ? { clickhouseUrl: opts.clickhouseUrl } : {}),
      ...(opts.redisUrl ? { redisUrl: opts.redisUrl } : {}),
      ...(opts.kafka ? { kafkaBrokers: opts.kafka.brokers, replicationFactor: opts.kafka.replicationFactor } : {}),
    });
    const id = env.config.KAFKA_TOPIC_PREFIX.replace(/^t\./, '').replace(/\.$/, '');
    // Group ids of this suite only: suites run in parallel on one broker.
    const groups = { ENRICH_GROUP_ID: `enrich-${id}`, AGGREGATE_GROUP_ID: `aggregate-${id}` };
    const serviceEnv: Record<string, string> = {
      ...env.env,
      ...groups,
      PSEUDONYM_KEY,
      DISTRICT_TIMEZONES: `${DISTRICT}=${TIMEZONE}`,
      INGEST_PORT: String(await freePort()),
      ENRICH_RELOAD_INTERVAL_MS: '1000',
      LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'info',
      ...opts.extraEnv,
    };
    const sample = sampleDistrict();
    const files = await writeDistrict(sample, path.join(tmp, 'sample'));
    await loadDistrictReferenceData(serviceEnv, DISTRICT, files);
    const keys = await createApiKeys(serviceEnv, DISTRICT, ['agent', 'extension', 'caliper']);
    pipeline = new LocalPipeline(serviceEnv, path.join(tmp, 'logs'));
    if (opts.startServices !== false) await pipeline.startAll();
    const kafka = createKafka(env.config, createLogger('e2e', 'error'));
    ch = createClickHouse(env.config);
    const p = pipeline;
    return {
      env,
      serviceEnv,
      sample,
      files,
      keys,
      pipeline: p,
      kafka,
      ch,
      groups,
      drain: (timeoutMs = 120_000) => waitForPipeline(kafka, { ...env!.config, ...groups }, undefined, timeoutMs),
      logOf: (svc) => {
        try {
          return readFileSync(path.join(p.logDir, `${svc}.log`), 'utf8')
            .split('\n')
            .filter((l) => l.length > 0);
        } catch {
          return [];
        }
      },
      teardown,
    };
  } catch (err) {
    await teardown();
    throw err;
  }
}

/** The three rollup levels as read back from ClickHouse, keyed like `Reference`. */
export async function readRollups(
  ch: ClickHouseClient,
  districtId: string,
  days?: { from: string; to: string },
): Promise<{ district: Map<string, Cell>; school: Map<string, Cell>; class: Map<string, Cell> }> {
  const measures = `sumMerge(events) AS events, uniqExactMerge(active_users) AS users,
    sumMerge(explicit_seconds) AS seconds, uniqExactIfMerge(active_minutes) AS minutes,
    sumMerge(unresolved_person_events) AS unresolved`;
  type Row = { k: string; events: string; users: string; seconds: string; minutes: string; unresolved: string };
  const toMap = (rows: Row[]) =>
    new Map<string, Cell>(
      rows.map((r) => [
        r.k,
        {
          events: Number(r.events),
          activeUsers: Number(r.users),
          explicitSeconds: Number(r.seconds),
          activeMinutes: Number(r.minutes),
          engagedSeconds: Number(r.seconds) + 60 * Number(r.minutes),
          unresolvedPersonEvents: Number(r.unresolved),
        },
      ]),
    );
  // As the reports read them: through the compaction where a month has one.
  const window = { districtId, ...(days ?? (await rollupSpan(ch, districtId))) };
  const state = await readCompactionState(ch);
  const read = (level: RollupLevel, cell: string[]) =>
    queryRows<Row>(
      ch,
      `SELECT concat(${cell.map((c) => `toString(${c})`).join(", '|', ")}) AS k, ${measures}
       FROM (${rollupRows(state, level, window)}) AS r GROUP BY ${cell.join(', ')}`,
    );
  const day = ['local_date', 'app_id', 'role'];
  const [district, school, klass] = await Promise.all([
    read('district', day),
    read('school', ['school_id', ...day]),
    read('class', ['school_id', 'class_id', ...day]),
  ]);
  return { district: toMap(district), school: toMap(school), class: toMap(klass) };
}

/** The first and last day of the district's rollups (one day when it has none). */
async function rollupSpan(ch: ClickHouseClient, districtId: string): Promise<{ from: string; to: string }> {
  const [span] = await queryRows<{ from: string; to: string }>(
    ch,
    `SELECT toString(min(local_date)) AS from, toString(max(local_date)) AS to
     FROM rollup_district_app_daily_parts WHERE district_id = '${districtId}'`,
  );
  return span!;
}

/**
 * Compacts the rollups every `everyMs` until `stop()` returns true, as the jobs service's scheduler
 * does (here often, so compactions interleave with the sink's folds); resolves to the number of
 * month generations written.
 */
export async function compactRepeatedly(ch: ClickHouseClient, stop: () => boolean, everyMs = 2_000): Promise<number> {
  let written = 0;
  while (!stop()) {
    written += (await compactRollups(ch)).filter((r) => r.generation !== null).length;
    await new Promise((r) => setTimeout(r, everyMs));
  }
  return written;
}

/**
 * The usage reports (what the demo prints and the API answers) over a period equal the reference's
 * period figures at the district, school and class level: active users and days distinct across
 * days, engaged time = durations + one minute per person, app and minute.
 */
export async function expectUsageReportsAsReference(
  ch: ClickHouseClient,
  period: Period,
  ref: Pick<Reference, 'period'>,
): Promise<void> {
  const usage = (r: UsageRow): PeriodUsage => ({
    events: r.events,
    activeUsers: r.active_users,
    engagedSeconds: r.engaged_seconds,
    activeDays: r.active_days,
  });
  const district = await districtAppUsage(ch, period);
  expect(sorted(new Map(district.map((r) => [r.app_id, usage(r)])))).toEqual(sorted(ref.period.district));
  const school = await schoolAppUsage(ch, period);
  expect(sorted(new Map(school.map((r) => [`${r.school_id}|${r.app_id}`, usage(r)])))).toEqual(
    sorted(ref.period.school),
  );
  const klass = await classAppUsage(ch, period);
  expect(sorted(new Map(klass.map((r) => [`${r.school_id}|${r.class_id}|${r.app_id}`, usage(r)])))).toEqual(
    sorted(ref.period.class),
  );
}

export async function countRows(ch: ClickHouseClient, table: string, where = '1'): Promise<number> {
  const rows = await queryRows<{ n: string }>(ch, `SELECT count() AS n FROM ${table} WHERE ${where}`);
  return Number(rows[0]?.n ?? 0);
}

/** Dead letters as `<stage>:<reason_code>:<reason_field>` → count. */
export async function deadLetterCounts(ch: ClickHouseClient, where = '1'): Promise<Map<string, number>> {
  const rows = await queryRows<{ k: string; n: string }>(
    ch,
    `SELECT concat(stage, ':', reason_code, ':', reason_field) AS k, count() AS n FROM dead_letters WHERE ${where} GROUP BY k`,
  );
  return new Map(rows.map((r) => [r.k, Number(r.n)]));
}

/** Sum of the end offsets of a topic's partitions (how many messages were ever written to it). */
export async function topicEnd(kafka: Kafka, topic: string): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    return offsets.reduce((s, o) => s + Number(o.high), 0);
  } finally {
    await admin.disconnect();
  }
}

/**
 * POSTs until ingest gives a final answer: retries on 503 and on connection errors (ingest restarting)
 * for up to 3 minutes, like a client that must not lose its batch. Returns the status and the count
 * of events the answer accepted.
 */
async function postBody(
  url: string,
  apiKey: string,
  body: string,
  contentType: string,
): Promise<{ status: number; accepted: number }> {
  for (const deadline = Date.now() + 180_000; ;) {
    let res: Response;
    try {
      res = await fetch(url, {
        method: 'POST',
        headers: { authorization: `Bearer ${apiKey}`, 'content-type': contentType },
        body,
      });
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 300));
      continue;
    }
    const text = await res.text();
    if (res.status === 503 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 500));
      continue;
    }
    if (res.status !== 202 && res.status !== 422 && res.status !== 400)
      throw new Error(`${url} answered ${res.status}`);
    let accepted = 0;
    try {
      accepted = Number((JSON.parse(text) as { accepted?: unknown }).accepted ?? 0);
    } catch {
      // a 400 may have no JSON body
    }
    return { status: res.status, accepted };
  }
}

/**
 * Sends the sample slowly, so that a test can break things while events flow: native lines in small
 * NDJSON batches (each with the key of its source) and Caliper envelopes interleaved, with `pauseMs()`
 * between requests; the Squid file is imported once `importSquidAfter` of the HTTP requests are sent.
 * `holds`: at each `at` (fraction of the requests) the sender calls `reached()` and waits for `until`,
 * e.g. so the stream is surely not over before the test has done its damage.
 */
export async function sendSamplePaced(
  e2e: E2E,
  opts: {
    batchSize?: number;
    pauseMs: () => number;
    importSquidAfter?: number;
    holds?: { at: number; until: Promise<unknown>; reached?: () => void }[];
    /** Called before request `index` (0-based) of `total` is sent. */
    onSending?: (index: number, total: number) => void;
    /** Called when request `index` got its final answer, with the count of events it accepted. */
    onAnswered?: (index: number, total: number, accepted: number) => void;
  },
): Promise<{ requests: number }> {
  const batchSize = opts.batchSize ?? 50;
  const requests: { route: string; key: string; body: string; type: string }[] = [];
  const pending = new Map<string, string[]>();
  const flush = (source: string) => {
    const lines = pending.get(source) ?? [];
    if (lines.length === 0) return;
    requests.push({
      route: '/v1/events',
      key: e2e.keys[source]!,
      body: lines.join('\n') + '\n',
      type: 'application/x-ndjson',
    });
    pending.set(source, []);
  };
  for (const line of readFileSync(e2e.files.native, 'utf8').split('\n')) {
    if (line.trim() === '') continue;
    let source = 'agent';
    try {
      const s = (JSON.parse(line) as { source?: unknown }).source;
      if (typeof s === 'string' && e2e.keys[s]) source = s;
    } catch {
      // not JSON: sent as it is, ingest rejects it
    }
    const lines = pending.get(source) ?? [];
    lines.push(line);
    pending.set(source, lines);
    if (lines.length >= batchSize) flush(source);
  }
  for (const source of [...pending.keys()]) flush(source);
  // Caliper envelopes spread evenly between the native batches.
  const caliper = readFileSync(e2e.files.caliper, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '');
  const every = Math.max(1, Math.floor(requests.length / Math.max(1, caliper.length)));
  caliper.forEach((body, i) =>
    requests.splice(Math.min(requests.length, i * (every + 1)), 0, {
      route: '/v1/caliper',
      key: e2e.keys.caliper!,
      body,
      type: 'application/json',
    }),
  );
  const squidAt = Math.floor(requests.length * (opts.importSquidAfter ?? 0.3));
  const holds = (opts.holds ?? []).map((h) => ({ ...h, index: Math.floor(requests.length * h.at) }));
  let squid: Promise<unknown> | null = null;
  for (let i = 0; i < requests.length; i++) {
    if (i === squidAt) {
      squid = importSquidFile(e2e.serviceEnv, DISTRICT, e2e.files.squid);
    }
    for (const h of holds) {
      if (h.index !== i) continue;
      h.reached?.();
      await h.until;
    }
    const r = requests[i]!;
    opts.onSending?.(i, requests.length);
    const answer = await postBody(`${e2e.pipeline.ingestUrl}${r.route}`, r.key, r.body, r.type);
    opts.onAnswered?.(i, requests.length, answer.accepted);
    await new Promise((res) => setTimeout(res, opts.pauseMs()));
  }
  await squid;
  return { requests: requests.length };
}

/**
 * The e2e tests' exactness check: the district's stored events and every rollup cell (district, school,
 * class level) equal the independent reference.
 */
export async function expectStoredAsReference(ch: ClickHouseClient, ref: Reference): Promise<void> {
  expect(await countRows(ch, 'usage_events')).toBe(ref.storedEvents);
  const got = await readRollups(ch, DISTRICT);
  expect(sorted(got.district)).toEqual(sorted(ref.district));
  expect(sorted(got.school)).toEqual(sorted(ref.school));
  expect(sorted(got.class)).toEqual(sorted(ref.class));
}
