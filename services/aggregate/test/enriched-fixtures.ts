import { createHash } from 'node:crypto';
import { queryRows, type ClickHouseClient } from '@edusage/clickhouse';
import type { EnrichedEvent } from '@edusage/contracts';

/** A small deterministic PRNG so a failing run can be repeated with the same seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const hex32 = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 32);

/**
 * Enriched events for sink tests: a few schools, classes, apps, people over two local days that
 * straddle a month boundary (so batches span two ClickHouse partitions), hit-style and duration events,
 * plus copies of some events under the same dedup_key (as a re-sent batch would produce).
 */
export function makeEnrichedEvents(count: number, seed: number, duplicateShare = 0.05): EnrichedEvent[] {
  const rand = prng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const days = ['2026-09-30', '2026-10-01'];
  const apps = ['khan-academy', 'desmos', 'quizlet', 'domain:unknown.example'];
  const events: EnrichedEvent[] = [];
  for (let i = 0; i < count; i++) {
    const person = Math.floor(rand() * 60);
    const school = `s${person % 3}`;
    const hasClass = rand() < 0.6;
    const day = pick(days);
    const minute = Math.floor(rand() * 120);
    const second = Math.floor(rand() * 60);
    const hit = rand() < 0.6;
    const occurred = new Date(`${day}T14:00:00Z`).getTime() + minute * 60_000 + second * 1000;
    events.push({
      v: 1,
      dedup_key: hex32(`e${seed}-${i}`),
      event_id: `e${seed}-${i}`,
      occurred_at: new Date(occurred).toISOString(),
      local_date: day,
      district_id: 'd1',
      school_id: rand() < 0.1 ? null : school,
      class_id: hasClass ? `${school}-c${person % 4}` : null,
      class_attribution: hasClass ? pick(['explicit', 'inferred'] as const) : 'none',
      person_id: hex32(`p${person}`),
      person_resolved: person % 17 !== 0,
      role: person % 10 === 0 ? 'teacher' : 'student',
      app_id: pick(apps),
      app_resolved: true,
      app_domain: null,
      source: 'agent',
      type: hit ? 'page_view' : 'use',
      campus: pick(['on', 'off', 'unknown'] as const),
      explicit_seconds: hit ? 0 : Math.floor(rand() * 600),
      counts_minute: hit,
      raw: { topic: 'usage.raw', partition: 0, offset: String(i) },
      enriched_at: new Date().toISOString(),
    });
  }
  const duplicates = Math.floor(count * duplicateShare);
  for (let i = 0; i < duplicates; i++) {
    const original = events[Math.floor(rand() * count)]!;
    events.push({ ...original, enriched_at: new Date().toISOString() });
  }
  return events;
}

export interface ReferenceCell {
  events: number;
  users: number;
  explicitSeconds: number;
  activeMinutes: number;
}

/**
 * The expected district × app × day × role figures, computed in the plainest way from the events
 * themselves (independent of the SQL under test): duplicates by dedup_key counted once.
 */
export function referenceDistrictRollup(events: readonly EnrichedEvent[]): Map<string, ReferenceCell> {
  const unique = new Map<string, EnrichedEvent>();
  for (const e of events) if (!unique.has(e.dedup_key)) unique.set(e.dedup_key, e);
  const cells = new Map<
    string,
    {
      events: number;
      users: Set<string>;
      seconds: number;
      minutes: Set<string>;
    }
  >();
  for (const e of unique.values()) {
    const key = [e.district_id, e.local_date, e.app_id, e.role].join('|');
    let cell = cells.get(key);
    if (!cell)
      cells.set(
        key,
        (cell = {
          events: 0,
          users: new Set(),
          seconds: 0,
          minutes: new Set(),
        }),
      );
    cell.events += 1;
    cell.users.add(e.person_id);
    cell.seconds += e.explicit_seconds;
    if (e.counts_minute) cell.minutes.add(`${e.person_id}|${e.occurred_at.slice(0, 16)}`);
  }
  return new Map(
    [...cells].map(([k, c]) => [
      k,
      {
        events: c.events,
        users: c.users.size,
        explicitSeconds: c.seconds,
        activeMinutes: c.minutes.size,
      },
    ]),
  );
}

/** The district or school rollup cells as ClickHouse merges them; a cell of empty states must be all zeros. */
export async function rollupCells(
  ch: ClickHouseClient,
  level: 'district' | 'school',
): Promise<Map<string, ReferenceCell>> {
  const school = level === 'school' ? `school_id, '|', ` : '';
  const rows = await queryRows<{ k: string; events: string; users: string; seconds: string; minutes: string }>(
    ch,
    `SELECT concat(district_id, '|', ${school}toString(local_date), '|', app_id, '|', role) AS k,
            sumMerge(events) AS events, uniqExactMerge(active_users) AS users,
            sumMerge(explicit_seconds) AS seconds, uniqExactIfMerge(active_minutes) AS minutes
     FROM rollup_${level}_app_daily GROUP BY k`,
  );
  const out = new Map<string, ReferenceCell>();
  for (const r of rows) {
    const cell = {
      events: Number(r.events),
      users: Number(r.users),
      explicitSeconds: Number(r.seconds),
      activeMinutes: Number(r.minutes),
    };
    // A cell whose every event moved elsewhere keeps empty states: zero in every measure.
    if (cell.events === 0) expect(cell).toEqual({ events: 0, users: 0, explicitSeconds: 0, activeMinutes: 0 });
    else out.set(r.k, cell);
  }
  return out;
}

/** The school level of the reference: the district reference's rule with the school in the key. */
export function referenceSchoolRollup(events: EnrichedEvent[]): Map<string, ReferenceCell> {
  const out = new Map<string, ReferenceCell>();
  const bySchool = new Map<string, EnrichedEvent[]>();
  for (const e of events) bySchool.set(e.school_id ?? '', [...(bySchool.get(e.school_id ?? '') ?? []), e]);
  for (const [school, list] of bySchool) {
    for (const [k, c] of referenceDistrictRollup(list)) {
      const [district, ...rest] = k.split('|');
      out.set([district, school, ...rest].join('|'), c);
    }
  }
  return out;
}
