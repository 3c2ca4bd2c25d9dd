import { BoundedMap } from '@edusage/runtime';
import type { CampusRow } from '../../campus';
import { mayCall, rowsOf } from '../../data';
import type { DeadLetterDayRow } from '../../dead-letters';
import type { PageContext } from '../../page';
import { weeksOf, type Period } from '../../period';
import type { UsageRow } from '../../usage';

/** A row of /v1/usage/weekly: one week's district-wide totals (distinct people over any app). */
export interface WeekTotal {
  week_from: string;
  week_to: string;
  active_users: number;
  events: number;
  engaged_seconds: number;
}

/** /v1/unresolved: the period's events and those whose person, app or school is not known. */
export interface Unresolved {
  total_events: number;
  unresolved_person_events: number;
  unresolved_app_events: number;
  unattributed_school_events: number;
}

/** /v1/pipeline/lag: Kafka consumer lag, the newest stored event and the rollup compaction's state. */
export interface Lag {
  groups: { group: string; lag: number }[];
  last_stored_at: string;
  seconds_since_last_stored: number | null;
  kafka_error: string | null;
  rollup_compaction: {
    last_checked_at: string | null;
    seconds_since_checked: number | null;
    months_not_compacted: number[];
  };
}

/** A row of /v1/dead-letters: rejected inputs of one stage (a stage may have several rows). */
export interface DeadLetterStageRow {
  stage: string;
  count: number;
}

/** One week of the period: its per-app usage and its district-wide totals. */
export type WeekRow = Period & { rows: UsageRow[]; total: WeekTotal };

/**
 * Kafka lag takes a round of admin requests (about a quarter second) and is deployment-wide: the
 * overview reuses a district's answer up to LAG_MAX_AGE_MS old, so the page stays light. A failure is kept as
 * the error (the page says lag is unavailable) and retried at the next page after the same age.
 */
const LAG_MAX_AGE_MS = 10_000;
type LagAnswer = Promise<{ body: Record<string, unknown> } | Error>;
/** Per district: the answer also holds the district's newest stored event. */
const lagCache = new BoundedMap<string, { at: number; answer: LagAnswer }>(1_000);
function recentLag(districtId: string, fetch: () => Promise<{ body: Record<string, unknown> }>): LagAnswer {
  const now = Date.now();
  const cached = lagCache.get(districtId);
  if (cached && now - cached.at <= LAG_MAX_AGE_MS) return cached.answer;
  const answer = fetch().catch((err: Error) => err);
  lagCache.set(districtId, { at: now, answer });
  return answer;
}

/** Everything the overview shows, as the API answered it for the page's period. */
export interface OverviewAnswers {
  /** The period's apps, most used first. */
  apps: UsageRow[];
  /** The period's weeks, oldest first. */
  weekRows: WeekRow[];
  unresolved: Unresolved;
  deadLetters: DeadLetterStageRow[];
  /** The lag answer or the error reading it; null when the token may not read it. */
  lag: Awaited<LagAnswer> | null;
  campus: CampusRow[];
  /** Inputs rejected today (UTC). */
  deadToday: DeadLetterDayRow[];
}

/** Reads the overview's answers from the API's endpoints, all at once. */
export async function readOverview(
  { deps, principal, utcToday }: PageContext,
  period: Period,
): Promise<OverviewAnswers> {
  const weeks = weeksOf(period);
  const get = <R>(path: string, q: Record<string, string | undefined> = {}) => rowsOf<R>(deps, principal, path, q);
  const [usage, weekly, totals, unresolved, deadLetters, lag, campus, deadToday] = await Promise.all([
    get<UsageRow>('/v1/usage/district', period),
    Promise.all(weeks.map((w) => get<UsageRow>('/v1/usage/district', w))),
    get<WeekTotal>('/v1/usage/weekly', period),
    get('/v1/unresolved', period),
    get<DeadLetterStageRow>('/v1/dead-letters'),
    mayCall(principal, '/v1/pipeline/lag') ? recentLag(principal.district_id, () => get('/v1/pipeline/lag')) : null,
    get<CampusRow>('/v1/usage/campus', period),
    get<DeadLetterDayRow>('/v1/dead-letters/daily', { from: utcToday, to: utcToday }),
  ]);
  return {
    apps: usage.rows,
    // The weekly totals answer the same weeks, oldest first (weeksOf is the API's week rule).
    weekRows: weeks.map((w, i) => ({ ...w, rows: weekly[i]!.rows, total: totals.rows[i]! })),
    unresolved: unresolved.body as unknown as Unresolved,
    deadLetters: deadLetters.rows,
    lag,
    campus: campus.rows,
    deadToday: deadToday.rows,
  };
}
