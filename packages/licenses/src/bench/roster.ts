/** The benchmark district's roster dimensions, generated on the server (INSERT … SELECT from numbers()). */
import { command, insertRows, utcDateTime, type ClickHouseClient } from '@edusage/clickhouse';
import { appIdSql, classUsesAppSql, gradesArray, personIdSql, schoolIdSql, SHAPE, type DistrictShape } from './shape';

const VERSION = 'bench-roster-1';

export async function generateRoster(ch: ClickHouseClient, shape: DistrictShape = SHAPE): Promise<void> {
  const d = `'${shape.districtId}'`;
  const v = `'${VERSION}'`;
  await command(
    ch,
    `INSERT INTO dim_schools (district_id, roster_version, school_id, name, org_type, parent_id, status)
     SELECT ${d}, ${v}, ${schoolIdSql('number')}, concat('School ', toString(number)), 'school', ${d}, 'active'
     FROM system.numbers LIMIT ${shape.schools}`,
  );
  await command(
    ch,
    `INSERT INTO dim_classes (district_id, roster_version, class_id, title, class_type, course_id, course_title,
       course_code, school_id, grades, term_ids, app_ids, students, teachers, status)
     SELECT ${d}, ${v}, concat('cls-', toString(number)), concat('Class ', toString(number)), 'scheduled',
            concat('crs-', toString(number % 200)), concat('Course ', toString(number % 200)), '',
            ${schoolIdSql(`number % ${shape.schools}`)}, [arrayElement(${gradesArray}, number % 13 + 1)], ['term-1'],
            arrayMap(a -> ${appIdSql('a')}, arrayFilter(a -> ${classUsesAppSql('number', 'a', shape)}, range(${shape.apps}))), ${Math.round(shape.students / shape.classes)}, 1, 'active'
     FROM system.numbers LIMIT ${shape.classes}`,
  );
  // Students: school = n mod schools, grade by n; teachers: school = n mod schools, no grade; the class
  // of either is classNoSql(n) (shape.ts).
  await command(
    ch,
    `INSERT INTO dim_people (district_id, roster_version, person_id, role, grade, school_id, school_ids, enabled, status)
     SELECT ${d}, ${v}, ${personIdSql('s', 'number')}, 'student',
            arrayElement(${gradesArray}, intDiv(number, ${shape.schools}) % 13 + 1),
            ${schoolIdSql(`number % ${shape.schools}`)}, [${schoolIdSql(`number % ${shape.schools}`)}], 1, 'active'
     FROM system.numbers LIMIT ${shape.students}`,
  );
  await command(
    ch,
    `INSERT INTO dim_people (district_id, roster_version, person_id, role, grade, school_id, school_ids, enabled, status)
     SELECT ${d}, ${v}, ${personIdSql('t', 'number')}, 'teacher', '',
            ${schoolIdSql(`number % ${shape.schools}`)}, [${schoolIdSql(`number % ${shape.schools}`)}], 1, 'active'
     FROM system.numbers LIMIT ${shape.teachers}`,
  );
  await insertRows(ch, 'dim_roster_versions', [
    {
      district_id: shape.districtId,
      roster_version: VERSION,
      imported_ms: Date.now(),
      imported_at: utcDateTime(new Date()),
      oneroster_version: '1.1',
      orgs: shape.schools,
      classes: shape.classes,
      people: shape.students + shape.teachers,
      enrollments: 0,
    },
  ]);
}
