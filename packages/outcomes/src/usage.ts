import { queryRows, sqlDate, sqlString, type ClickHouseClient } from '@edusage/clickhouse';

/** Which tests and which usage: one app, one assessment × subject, tests taken between `from` and `to` (inclusive). */
export interface WindowQuery {
  districtId: string;
  app: string;
  assessment: string;
  subject: string;
  from: string;
  to: string;
}

/** One student with a pre and a post test in the window, and their use of the app between the two. */
export interface StudentWindow {
  personId: string;
  grade: string;
  /** '' = no single school in the roster. */
  schoolId: string;
  /** The student's one class whose course uses the app ('' = none or several). */
  classId: string;
  preDate: string;
  postDate: string;
  pre: number;
  post: number;
  /** The pre test's projected growth (MAP, i-Ready), null if the source has none. */
  projectedGrowth: number | null;
  engagedSeconds: number;
  /** Engaged seconds of the events whose place is known (campus 'on' or 'off'), counted by the same rule. */
  knownCampusSeconds: number;
  /** Engaged seconds of the events on a school network (campus 'on'); ≤ knownCampusSeconds. */
  onCampusSeconds: number;
  daysUsed: number;
  /** Engaged minutes ÷ weeks between the tests (days / 7). */
  minutesPerWeek: number;
}

export interface WindowData {
  students: StudentWindow[];
  /** Students with tests in the window but no pair (one test day only): no growth to measure. */
  withoutPair: number;
  /** Test records not counted because another record of the same student and day counts (duplicate rule). */
  duplicateRecords: number;
}

/**
 * Each student's pre (first test day in the window) and post (last test day, later than the first) with
 * the app use between them, per student: engaged seconds = Σ explicit seconds + 60 × distinct minutes
 * of hit-style events (docs/ARCHITECTURE.md "Metric rules"), days used = distinct local days, over the
 * current version of each stored event (usage_events and its revisions, latest per Kafka offset) with
 * pre_date ≤ local_date < post_date; the parts with a known place (campus on or off) and on campus by the
 * same rule over those events only. Exact, from the stored events: rollups have no person.
 */
export async function loadStudentWindows(ch: ClickHouseClient, q: WindowQuery): Promise<WindowData> {
  const [usage, scores] = await Promise.all([
    queryRows<UsageRow>(ch, usageQuery(q)),
    queryRows<ScoreRow>(ch, scoreQuery(q)),
  ]);
  const byPerson = new Map<string, ScoreRow[]>();
  for (const s of scores) {
    const list = byPerson.get(s.person_id) ?? [];
    list.push(s);
    byPerson.set(s.person_id, list);
  }
  let duplicateRecords = 0;
  const students: StudentWindow[] = [];
  for (const u of usage) {
    const tests = byPerson.get(u.person_id) ?? [];
    const pre = countingRecord(tests.filter((t) => t.test_day === u.pre_day));
    const post = countingRecord(tests.filter((t) => t.test_day === u.post_day));
    if (!pre || !post) continue;
    duplicateRecords += pre.others + post.others;
    const between = (Date.parse(u.post_day) - Date.parse(u.pre_day)) / 86_400_000;
    const engaged = Number(u.engaged);
    students.push({
      personId: u.person_id,
      grade: u.grade,
      schoolId: u.school_id,
      classId: u.only_class,
      preDate: u.pre_day,
      postDate: u.post_day,
      pre: pre.row.score,
      post: post.row.score,
      projectedGrowth: pre.row.projected_growth,
      engagedSeconds: engaged,
      knownCampusSeconds: Number(u.known_campus),
      onCampusSeconds: Number(u.on_campus),
      daysUsed: Number(u.days),
      minutesPerWeek: engaged / 60 / (between / 7),
    });
  }
  const paired = new Set(usage.map((u) => u.person_id));
  const withoutPair = [...byPerson.keys()].filter((p) => !paired.has(p)).length;
  return { students, withoutPair, duplicateRecords };
}

/**
 * The duplicate rule: of several records of one student, assessment, subject and day, the highest score
 * counts (a re-test the same day replaces a first attempt the student abandoned or rushed).
 */
function countingRecord(sameDay: ScoreRow[]): { row: ScoreRow; others: number } | null {
  if (sameDay.length === 0) return null;
  const row = sameDay.reduce((best, r) => (r.score > best.score ? r : best));
  return { row, others: sameDay.length - 1 };
}

interface UsageRow {
  person_id: string;
  grade: string;
  school_id: string;
  only_class: string;
  pre_day: string;
  post_day: string;
  engaged: string;
  known_campus: string;
  on_campus: string;
  days: string;
}

interface ScoreRow {
  person_id: string;
  test_day: string;
  score: number;
  projected_growth: number | null;
}

function resultFilter(q: WindowQuery): string {
  return `district_id = ${sqlString(q.districtId)} AND assessment = ${sqlString(q.assessment)}
    AND subject = ${sqlString(q.subject)} AND test_date >= ${sqlDate(q.from)} AND test_date <= ${sqlDate(q.to)}`;
}

/** Students' first and last test day in the window (only those with two different days). */
function windowsQuery(q: WindowQuery): string {
  return `SELECT person_id, min(test_date) AS pre_date, max(test_date) AS post_date
    FROM assessment_results FINAL WHERE ${resultFilter(q)}
    GROUP BY person_id HAVING post_date > pre_date`;
}

function scoreQuery(q: WindowQuery): string {
  return `SELECT person_id, toString(test_date) AS test_day, score, projected_growth
    FROM assessment_results FINAL WHERE ${resultFilter(q)}`;
}

/** What the usage sums need of each event's current version. */
const CURRENT_EVENT_COLUMNS = [
  'person_id',
  'local_date',
  'occurred_at',
  'explicit_seconds',
  'counts_minute',
  'campus',
] as const;

function usageQuery(q: WindowQuery): string {
  const district = sqlString(q.districtId);
  const app = sqlString(q.app);
  const eventFilter = `district_id = ${district} AND app_id = ${app}
    AND local_date >= ${sqlDate(q.from)} AND local_date <= ${sqlDate(q.to)}`;
  const cols = [...CURRENT_EVENT_COLUMNS, 'kafka_topic', 'kafka_partition', 'kafka_offset'].join(', ');
  // The current version of each event (a late-roster revision may have changed its person): per Kafka
  // offset the values of the highest revision (the stored event is revision 0). GROUP BY with argMax
  // instead of ORDER BY … LIMIT 1 BY, which sorted every event of the window. The aggregates get names
  // of their own (an alias equal to the column inside argMax confuses ClickHouse 18.16's analyzer).
  const latest = CURRENT_EVENT_COLUMNS.map((c) => `argMax(${c}, revision) AS latest_${c}`).join(', ');
  const renamed = CURRENT_EVENT_COLUMNS.map((c) => `latest_${c} AS ${c}`).join(', ');
  const currentEvents = `SELECT ${renamed} FROM (
      SELECT ${latest} FROM (
        SELECT ${cols}, toUInt64(0) AS revision FROM usage_events WHERE ${eventFilter}
        UNION ALL
        SELECT ${cols}, revision FROM usage_event_revisions WHERE ${eventFilter})
      GROUP BY kafka_topic, kafka_partition, kafka_offset)`;
  const minute = 'toStartOfMinute(occurred_at)';
  // ALL, not ANY: current ClickHouse's ANY INNER JOIN keeps one row per key of the left side too
  // (one event per student); the windows side has one row per student, so ALL joins each event once.
  const usagePerStudent = `SELECT person_id,
      sum(explicit_seconds) + 60 * uniqExactIf(${minute}, counts_minute = 1) AS engaged_seconds,
      sumIf(explicit_seconds, campus != 'unknown')
        + 60 * uniqExactIf(${minute}, counts_minute = 1 AND campus != 'unknown') AS known_campus_seconds,
      sumIf(explicit_seconds, campus = 'on') + 60 * uniqExactIf(${minute}, counts_minute = 1 AND campus = 'on') AS on_campus_seconds,
      uniqExact(local_date) AS days_used
    FROM (${currentEvents}) AS events ALL INNER JOIN (${windowsQuery(q)}) AS windows USING person_id
    WHERE local_date >= pre_date AND local_date < post_date
    GROUP BY person_id`;
  const people = `SELECT person_id, grade, school_id FROM dim_people_current WHERE district_id = ${district}`;
  // The class for the class level: the student's one active class whose course uses the app.
  const classes = `SELECT person_id, any(class_id) AS only_class FROM dim_enrollments_current
    WHERE district_id = ${district} AND role = 'student' AND status != 'inactive'
      AND class_id IN (SELECT class_id FROM dim_classes_current WHERE district_id = ${district} AND has(app_ids, ${app}))
    GROUP BY person_id HAVING count() = 1`;
  return `SELECT person_id, grade, school_id, only_class, toString(pre_date) AS pre_day, toString(post_date) AS post_day,
      toString(engaged_seconds) AS engaged,
      toString(known_campus_seconds) AS known_campus, toString(on_campus_seconds) AS on_campus, toString(days_used) AS days
    FROM (
      SELECT * FROM (
        SELECT * FROM (${windowsQuery(q)}) AS windows ANY LEFT JOIN (${usagePerStudent}) AS usage USING person_id
      ) AS with_usage ANY LEFT JOIN (${people}) AS people USING person_id
    ) AS with_people ANY LEFT JOIN (${classes}) AS classes USING person_id
    ORDER BY person_id`;
}
