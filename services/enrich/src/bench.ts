/**
 * Single-core throughput of the enrichment hot path, for the report and for regressions:
 *   node services/enrich/dist/bench.js [events]
 * Measures (1) enrichEvent alone on parsed messages, (2) processMessages on Kafka-style Buffers
 * (JSON.parse + RawMessage validation + enrichment + JSON.stringify), which is the worker's CPU cost.
 */
import { AppCatalog, loadShippedCatalog } from './catalog/catalog';
import { enrichEvent, type DistrictView } from './enrich/enrich';
import { emptyRoster } from './roster/model';
import { RosterIndex } from './roster/roster-index';
import { processMessages } from './worker/process';
import type { RawMessage } from '@edusage/contracts';

const KEY = 'bench-pseudonym-key-0123456789';

export function benchRoster(students: number) {
  const r = emptyRoster();
  for (let s = 0; s < 20; s++)
    r.orgs.set(`sch${s}`, {
      sourcedId: `sch${s}`,
      status: 'active',
      name: `School ${s}`,
      type: 'school',
      parentSourcedId: null,
    });
  for (let c = 0; c < 2000; c++) {
    r.classes.set(`cls${c}`, {
      sourcedId: `cls${c}`,
      status: 'active',
      title: `Class ${c}`,
      courseSourcedId: `crs${c % 200}`,
      schoolSourcedId: `sch${c % 20}`,
      classType: 'scheduled',
      grades: [],
      termSourcedIds: [],
    });
  }
  for (let k = 0; k < 200; k++)
    r.courseApps.set(`crs${k}`, [['khan-academy', 'ixl', 'newsela', 'desmos'][k % 4] as string]);
  for (let u = 0; u < students; u++) {
    r.users.set(`u${u}`, {
      sourcedId: `u${u}`,
      status: 'active',
      enabled: true,
      role: 'student',
      username: `user${u}`,
      email: `user${u}@district.org`,
      orgSourcedIds: [`sch${u % 20}`],
      grades: ['05'],
    });
    for (let e = 0; e < 6; e++) {
      const c = (u * 7 + e * 13) % 2000;
      r.enrollments.set(`e${u}-${e}`, {
        sourcedId: `e${u}-${e}`,
        status: 'active',
        classSourcedId: `cls${c}`,
        schoolSourcedId: `sch${c % 20}`,
        userSourcedId: `u${u}`,
        role: 'student',
        primary: false,
        beginDate: '2024-08-01',
        endDate: '2025-06-30',
      });
    }
  }
  for (let s = 0; s < 20; s++) r.networks.set(`sch${s}`, [`10.${s}.0.0/16`]);
  return r;
}

export function benchEvents(n: number, students: number): RawMessage[] {
  const apps = [
    { url: 'https://www.khanacademy.org/math/x' },
    { domain: 'docs.google.com' },
    { app_id: 'ixl' },
    { domain: 'newsela.com' },
    { url: 'https://unknown.example.com/a' },
  ];
  const out: RawMessage[] = [];
  const t0 = Date.parse('2025-01-15T14:00:00Z');
  for (let i = 0; i < n; i++) {
    const u = (i * 7919) % (students * 1.1);
    const user = i % 3 === 0 ? { email: `user${Math.floor(u)}@district.org` } : { sourced_id: `u${Math.floor(u)}` };
    out.push({
      v: 1,
      received_at: '2025-01-15T18:00:00Z',
      channel: 'http',
      event: {
        event_id: `bench-${i}`,
        occurred_at: new Date(t0 + i * 1000).toISOString(),
        district_id: 'd1',
        source: 'extension',
        type: i % 4 === 0 ? 'use' : 'page_view',
        user,
        app: apps[i % apps.length] as RawMessage['event']['app'],
        ...(i % 4 === 0 ? { active_seconds: 120 } : {}),
        client_ip: `10.${i % 25}.1.${i % 250}`,
      },
    });
  }
  return out;
}

function main(): void {
  const n = Number(process.argv[2] ?? 200_000);
  const students = 20_000;
  let t = Date.now();
  const roster = new RosterIndex('d1', 'v1', benchRoster(students), KEY);
  const buildMs = Date.now() - t;
  const view: DistrictView = {
    districtId: 'd1',
    timeZone: 'America/Chicago',
    roster,
    catalog: new AppCatalog(loadShippedCatalog()),
  };
  const events = benchEvents(n, students);
  const buffers = events.map((e, i) => ({
    value: Buffer.from(JSON.stringify(e)),
    offset: String(i),
  }));
  const pos = { topic: 'usage.raw', partition: 0, offset: '0' };
  // Warm-up.
  for (let i = 0; i < Math.min(20_000, n); i++)
    enrichEvent(events[i] as RawMessage, pos, view, KEY, '2025-01-15T18:00:00.000Z');

  t = performance.now();
  for (const e of events) enrichEvent(e, pos, view, KEY, '2025-01-15T18:00:00.000Z');
  const enrichMs = performance.now() - t;

  t = performance.now();
  let enriched = 0;
  for (let i = 0; i < buffers.length; i += 1000) {
    enriched += processMessages(buffers.slice(i, i + 1000), {
      topic: 'usage.raw',
      partition: 0,
      pseudonymKey: KEY,
      view: () => view,
    }).enriched.length;
  }
  const processMs = performance.now() - t;
  const fmt = (ms: number) => Math.round((n / ms) * 1000).toLocaleString('en-US');
  console.log(
    JSON.stringify(
      {
        events: n,
        roster: { students, enrollments: students * 6, build_ms: buildMs },
        enrichEvent_per_s: fmt(enrichMs),
        processMessages_per_s: fmt(processMs),
        enriched,
        node: process.version,
      },
      null,
      2,
    ),
  );
}

if (require.main === module) main();
