/**
 * A school year of the school rollup (`rollup_school_app_daily_parts`, the table the license report
 * reads), generated on the server in the shape the aggregate sink derives: one row per school × day ×
 * app × role × Kafka partition contribution, with uniqExact states of 32-hex-character pseudonyms.
 *
 * Activity model: each person holds `slots` apps, app = ⌊apps · u²⌋ for a hash-uniform u (popular
 * apps first: the most used app reaches ~19 % of students a day, the least ~2 %), and uses each on
 * `dailyUsePercent` % of school days. Hit-style apps (app % 4 = 3) count distinct minutes
 * (`minutesPerHitDay` a day), the others explicit seconds (5 to 45 minutes).
 */
import type { ClickHouseClient } from '@edusage/clickhouse';
import { appIdSql, personIdSql, schoolDays, schoolIdSql, SHAPE } from './shape';

/** Server settings of the generating INSERTs: one thread, so the machine stays usable for others. */
const GENERATE_SETTINGS = { max_threads: 1 };

function chunkInsert(
  days: string[],
  firstIndex: number,
  role: 's' | 't',
  people: number,
  slots: number,
  shape = SHAPE,
) {
  const perDay = people * slots;
  const daysArray = `[${days.map((d) => `toDate('${d}')`).join(',')}]`;
  const person = 'intDiv(number % ' + perDay + `, ${slots})`;
  const slot = `number % ${slots}`;
  return `INSERT INTO rollup_school_app_daily_parts (district_id, school_id, local_date, app_id, role, kafka_topic,
      kafka_partition, range_start, range_end, events, active_users, explicit_seconds, active_minutes,
      unresolved_person_events, unresolved_app_events)
    SELECT '${shape.districtId}', school_id, local_date, ${appIdSql('app_no')}, '${role === 's' ? 'student' : 'teacher'}',
           'bench.usage.enriched', part, range_start, range_start + 1,
           sumState(toUInt64(1)), uniqExactState(person_id), sumState(toUInt64(secs)),
           uniqExactIfState(person_id, minute, is_hit), sumState(toUInt64(0)), sumState(toUInt64(0))
    FROM (
      SELECT school_id, local_date, app_no, part, range_start, person_id, secs, is_hit,
             toDateTime(toUInt32(toDateTime(local_date, 'UTC')) + 50400 + 60 * (cityHash64(person_no, day_index, arrayJoin(range(if(is_hit, ${shape.minutesPerHitDay}, 1)))) % 360), 'UTC') AS minute
      FROM (
        SELECT person_no, day_index, local_date, app_no, ${personIdSql(role, 'person_no')} AS person_id,
               ${schoolIdSql(`person_no % ${shape.schools}`)} AS school_id,
               toUInt32(cityHash64(person_id) % ${shape.partitions}) AS part,
               toUInt64(day_index) * ${shape.partitions} + part AS range_start,
               toUInt8(app_no % 4 = 3) AS is_hit,
               if(is_hit, 0, 300 + cityHash64(person_no, app_no, day_index) % 2400) AS secs
        FROM (
          SELECT ${person} AS person_no, ${firstIndex} + intDiv(number, ${perDay}) AS day_index,
                 arrayElement(${daysArray}, intDiv(number, ${perDay}) + 1) AS local_date,
                 toUInt32(floor(${shape.apps} * pow((cityHash64('${role}', ${person}, ${slot}) % 1000000) / 1000000, 2))) AS app_no
          FROM system.numbers LIMIT ${days.length * perDay}
        )
        WHERE cityHash64('${role}', person_no, app_no, day_index) % 100 < ${shape.dailyUsePercent}
      )
    )
    GROUP BY school_id, local_date, app_no, part, range_start`;
}

/** Inserts the year, `daysPerInsert` days at a time; calls `progress` after each chunk. */
export async function generateRollups(
  ch: ClickHouseClient,
  progress: (daysDone: number) => void,
  shape = SHAPE,
): Promise<void> {
  const days = schoolDays(shape);
  for (let i = 0; i < days.length; i += shape.daysPerInsert) {
    const chunk = days.slice(i, i + shape.daysPerInsert);
    for (const [role, people, slots] of [
      ['s', shape.students, shape.studentSlots],
      ['t', shape.teachers, shape.teacherSlots],
    ] as const) {
      await ch.command({
        query: chunkInsert(chunk, i, role, people, slots, shape),
        clickhouse_settings: GENERATE_SETTINGS,
      });
    }
    progress(i + chunk.length);
  }
}
