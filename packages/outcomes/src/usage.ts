import { queryArrays, sqlDate, sqlString, type ClickHouseClient } from '@edusage/clickhouse';
import { gradeAtTesting } from './grades';
import { normalizeSubject } from './result';

/** Which tests and which usage: one app, one assessment × subject, tests taken between `from` and `to` (inclusive). */
export interface WindowQuery {
  districtId: string;
  app: string;
  assessment: string;
  /** As typed or stored: normalized before the query (`normalizeSubject`). */
  subject: string;
  from: string;
  to: string;
  /**
   * Least days between the pre and post test of a pair (default MIN_PAIR_DAYS); a test occasion reaches
   * half of it from the first or last test day (`occasionDays`), a day within reach of both being the pre's.
   */
  minPairDays?: number;
}

/** One student with a pre and a post test in the window, and their use of the app between the two. */
export interface StudentWindow {
  personId: string;
  /** The grade at testing (`gradeAtTesting`: the result's, else the roster's), as a grade code. */
  grade: string;
  /** The roster's `school_id`: their school on the roster's import day ('' = none or several). */
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
  /** Students with tests in the window but no pair (one test day, or none MIN_PAIR_DAYS apart): no growth to measure. */
  withoutPair: number;
  /** Test records not counted because another record of the same student and occasion counts (duplicate rule). */
  duplicateRecords: number;
}

/**
 * Each student's pre (first test day in the window) and post (last test day, at least MIN_PAIR_DAYS
 * later), each scored by the best record of its occasion (`testsQuery`), with
 * the app use between them, per student: engaged seconds = Σ explicit seconds + 60 × distinct minutes
 * of hit-style events (docs/ARCHITECTURE.md "Metric rules"), days used = distinct local days, over the
 * current version of each stored event (usage_events and its revisions, latest per Kafka offset) with
 * pre_date ≤ local_date < post_date; the parts with a known place (campus on or off) and on campus by the
 * same rule over those events only. Exact, from the stored events: rollups have no person. One query,
 * one row per tested student (the duplicate rule applied in ClickHouse, see `testsQuery`).
 */
export async function loadStudentWindows(ch: ClickHouseClient, q: WindowQuery): Promise<WindowData> {
  const rows = await queryArrays<StudentRow>(ch, studentsQuery(q));
  let withoutPair = 0;
  let duplicateRecords = 0;
  const students: StudentWindow[] = [];
  for (const r of rows) {
    const [personId, postGrade, preGrade, rosterGrade, schoolId, classId, preDate, postDate, ...scores] = r;
    const [pre, post, projected, duplicates, engaged, knownCampus, onCampus, days] = scores;
    const between = (Date.parse(postDate) - Date.parse(preDate)) / 86_400_000;
    if (between < minPairDaysOf(q)) {
      withoutPair++; // one test day, or tests too close together: no growth to measure
      continue;
    }
    duplicateRecords += duplicates;
    students.push({
      personId,
      grade: gradeAtTesting(postGrade, preGrade, rosterGrade),
      schoolId,
      classId,
      preDate,
      postDate,
      pre,
      post,
      // NaN stands for "none" in ClickHouse (see testsQuery); JSON writes it as null.
      projectedGrowth: typeof projected === 'number' && Number.isFinite(projected) ? projected : null,
      engagedSeconds: engaged,
      knownCampusSeconds: knownCampus,
      onCampusSeconds: onCampus,
      daysUsed: days,
      minutesPerWeek: engaged / 60 / (between / 7),
    });
  }
  return { students, withoutPair, duplicateRecords };
}

/** One tested student, in the column order of `studentsQuery`. */
type StudentRow = [
  personId: string,
  postGrade: string,
  preGrade: string,
  rosterGrade: string,
  schoolId: string,
  classId: string,
  preDate: string,
  postDate: string,
  pre: number,
  post: number,
  projectedGrowth: number | null,
  duplicateRecords: number,
  engagedSeconds: number,
  knownCampusSeconds: number,
  onCampusSeconds: number,
  daysUsed: number,
];

/** The subject asked is normalized as imports store it (`Math` finds math), whoever asks (CLI, API). */
function resultFilter(q: WindowQuery): string {
  return `district_id = ${sqlString(q.districtId)} AND assessment = ${sqlString(q.assessment)}
    AND subject = ${sqlString(normalizeSubject(q.subject))} AND test_date >= ${sqlDate(q.from)} AND test_date <= ${sqlDate(q.to)}`;
}

/**
 * The least number of days between a pair's first and last test, by default. Tests closer together (a
 * fall test and its retest) measure retest noise, not growth, and would turn one day's use into a
 * week's rate; such students have no pair. A district whose benchmarks are closer sets `minPairDays`.
 */
export const MIN_PAIR_DAYS = 14;

/**
 * A test occasion: the tests of a student within this many days of their first (pre) or last (post)
 * test day in the window, both ends included, are one sitting (a retest the next day, a make-up
 * session a week later: 09-14 and 09-21), and the best score of each occasion counts. Half the least
 * pair distance (7 days by default; 0 = the day itself), so two days of one occasion are never a pair.
 * In a pair exactly the least distance apart, the middle day is within reach of both: it is the pre
 * test's (`testsQuery`), a make-up following the test it makes up.
 */
export function occasionDays(minPairDays: number): number {
  return Math.floor(minPairDays / 2);
}

const minPairDaysOf = (q: WindowQuery) => q.minPairDays ?? MIN_PAIR_DAYS;

/**
 * Students' first and last test day in the window (only those with a pair, MIN_PAIR_DAYS apart). Without
 * FINAL: rows not yet merged are copies of a result's whole key (test day included), so min and max are
 * the same.
 */
function windowsQuery(q: WindowQuery): string {
  return `SELECT person_id, min(test_date) AS pre_date, max(test_date) AS post_date
    FROM assessment_results WHERE ${resultFilter(q)}
    GROUP BY person_id HAVING post_date >= pre_date + ${minPairDaysOf(q)}`;
}

/**
 * Each student's test days with the results that count: those of the latest import that has the day
 * (a corrected file replaces the scores of the days it holds; the student's other days keep theirs).
 * Per day: the best score, its projected growth (NaN for none: argMax skips NULL arguments, which would
 * take another record's), its grade at testing and the number of records. Grouped by import first,
 * then the latest import's figures taken per day: one read of the table (a filter on max(imported_ms)
 * read it twice, +0.65 s for 50,000 students). The window's first and last days need no such care: a correction replaces a
 * day, it never removes one.
 */
function dayResults(q: WindowQuery): string {
  return `SELECT person_id, test_date, argMax(import_best, imported_ms) AS day_best,
      argMax(import_projected, imported_ms) AS day_projected, argMax(import_grade, imported_ms) AS day_grade,
      argMax(import_records, imported_ms) AS day_records
    FROM (
      SELECT person_id, test_date, imported_ms, max(score) AS import_best,
        argMax(ifNull(projected_growth, nan), score) AS import_projected, argMax(grade, score) AS import_grade,
        count() AS import_records
      FROM assessment_results FINAL WHERE ${resultFilter(q)}
      GROUP BY person_id, test_date, imported_ms
    ) AS imports
    GROUP BY person_id, test_date`;
}

/**
 * Every tested student of the window (one row each): first and last test day, and the score that counts
 * on each. **Duplicate rule**: of several records of one student, assessment and subject in one
 * occasion (`occasionDays` from the first or the last test day), the highest score counts (a re-test
 * replaces a first attempt the student abandoned or rushed); the others are counted. Only the results
 * that count (`dayResults`: corrections) take part. The pre test's projected growth is that of its
 * best record, and each occasion's grade at testing that of its best record. Students without a pair
 * (one test day, or days closer than MIN_PAIR_DAYS) have the occasions' scores of whatever days they
 * have; the caller leaves them out.
 */
function testsQuery(q: WindowQuery): string {
  const occasion = occasionDays(minPairDaysOf(q));
  // Both ends included (README "within 7 days"); a day within reach of both occasions is the pre's.
  const inPre = `test_date <= pre_date + ${occasion}`;
  const inPost = `test_date >= post_date - ${occasion} AND NOT (${inPre})`;
  return `SELECT person_id, pre_date, post_date,
      maxIf(day_best, ${inPre}) AS pre_score, maxIf(day_best, ${inPost}) AS post_score,
      argMaxIf(day_projected, day_best, ${inPre}) AS pre_projected,
      argMaxIf(day_grade, day_best, ${inPre}) AS pre_grade, argMaxIf(day_grade, day_best, ${inPost}) AS post_grade,
      sumIf(day_records, ${inPre}) + sumIf(day_records, ${inPost}) - 2 AS duplicate_records
    FROM (
      SELECT * FROM (${dayResults(q)}) AS days ALL INNER JOIN (
        SELECT person_id, min(test_date) AS pre_date, max(test_date) AS post_date
        FROM assessment_results WHERE ${resultFilter(q)}
        GROUP BY person_id
      ) AS span USING person_id
    ) AS tests
    GROUP BY person_id, pre_date, post_date`;
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

/**
 * `testsQuery` with each student's usage between the tests, the grades at testing and the roster's
 * (current) grade, school and class (`StudentRow`).
 */
function studentsQuery(q: WindowQuery): string {
  const district = sqlString(q.districtId);
  const app = sqlString(q.app);
  const eventFilter = `district_id = ${district} AND app_id = ${app}
    AND local_date >= ${sqlDate(q.from)} AND local_date <= ${sqlDate(q.to)}`;
  const cols = CURRENT_EVENT_COLUMNS.join(', ');
  const offset = 'kafka_topic, kafka_partition, kafka_offset';
  // The current version of each event (a late-roster revision may have changed its person): a stored
  // event (revision 0) counts unless a revision of its Kafka offset exists; of the revised offsets the
  // values of the highest revision count. Only the few revised offsets are grouped (argMax per offset);
  // grouping every event of the window by offset, as before, took most of the query's time. The
  // aggregates get names of their own (an alias equal to the column inside argMax confuses ClickHouse
  // 18.16's analyzer).
  const latest = CURRENT_EVENT_COLUMNS.map((c) => `argMax(${c}, revision) AS latest_${c}`).join(', ');
  const renamed = CURRENT_EVENT_COLUMNS.map((c) => `latest_${c} AS ${c}`).join(', ');
  const currentEvents = `
      SELECT ${cols} FROM usage_events WHERE ${eventFilter}
        AND (${offset}) NOT IN (SELECT ${offset} FROM usage_event_revisions WHERE ${eventFilter})
      UNION ALL
      SELECT ${renamed} FROM (
        SELECT ${latest} FROM usage_event_revisions WHERE ${eventFilter} GROUP BY ${offset})`;
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
  // Numbers as Float64 (exact below 2^53): JSON numbers in every ClickHouse version, where 64-bit
  // integers are quoted or not depending on the version's default.
  return `SELECT person_id, post_grade, pre_grade, grade, school_id, only_class, toString(pre_date), toString(post_date),
      pre_score, post_score, pre_projected, toFloat64(duplicate_records), toFloat64(engaged_seconds),
      toFloat64(known_campus_seconds), toFloat64(on_campus_seconds), toFloat64(days_used)
    FROM (
      SELECT * FROM (
        SELECT * FROM (${testsQuery(q)}) AS tests ANY LEFT JOIN (${usagePerStudent}) AS usage USING person_id
      ) AS with_usage ANY LEFT JOIN (${people}) AS people USING person_id
    ) AS with_people ANY LEFT JOIN (${classes}) AS classes USING person_id
    ORDER BY person_id`;
}
