/**
 * What the benchmark reads: rows, events, distinct cells and contributions per cell of each rollup
 * level, and checks that the levels agree (they are grouped from the same uses, so the district's
 * events are the schools' events, and a class never has more than its school).
 */
import { queryRows, type ClickHouseClient } from '@edusage/clickhouse';
import { ALL_LEVELS, ROLLUP_LEVELS, type RollupLevel } from '@edusage/rollups';

const say = (line: string) => process.stdout.write(line + '\n');

const CELL_KEYS: Record<RollupLevel, string> = {
  district: 'district_id, local_date, app_id, role',
  school: 'district_id, school_id, local_date, app_id, role',
  class: 'district_id, school_id, class_id, local_date, app_id, role',
};

export interface LevelFigures {
  level: RollupLevel;
  rows: number;
  events: number;
  cells: number;
  maxPerCell: number;
}

const fmt = (n: number) => n.toLocaleString('en-US');

async function levelFigures(ch: ClickHouseClient, level: RollupLevel): Promise<LevelFigures> {
  // Plain reads (no FINAL): the generator writes every contribution once.
  const [r] = await queryRows<Record<string, string>>(
    ch,
    `SELECT sum(n) AS rows, sum(ev) AS events, count() AS cells, max(n) AS max_per_cell
     FROM (SELECT count() AS n, sumMerge(events) AS ev FROM ${ROLLUP_LEVELS[level].parts} GROUP BY ${CELL_KEYS[level]})`,
  );
  return {
    level,
    rows: Number(r?.rows ?? 0),
    events: Number(r?.events ?? 0),
    cells: Number(r?.cells ?? 0),
    maxPerCell: Number(r?.max_per_cell ?? 0),
  };
}

/** School × day × app × role cells where the classes have more events than their school. */
async function classesAboveSchool(ch: ClickHouseClient): Promise<number> {
  const [r] = await queryRows<{ n: string }>(
    ch,
    `SELECT count() AS n FROM (
       SELECT school_id, local_date, app_id, role, sumMerge(events) AS class_events
       FROM rollup_class_app_daily_parts GROUP BY school_id, local_date, app_id, role)
     ANY LEFT JOIN (
       SELECT school_id, local_date, app_id, role, sumMerge(events) AS school_events
       FROM rollup_school_app_daily_parts GROUP BY school_id, local_date, app_id, role)
     USING school_id, local_date, app_id, role
     WHERE class_events > school_events`,
  );
  return Number(r?.n ?? -1);
}

export async function describeData(ch: ClickHouseClient): Promise<LevelFigures[]> {
  const figures: LevelFigures[] = [];
  for (const level of ALL_LEVELS) figures.push(await levelFigures(ch, level));
  say('level     contribution rows       events   distinct cells   contributions per cell (mean, max)');
  for (const f of figures) {
    say(
      `${f.level.padEnd(9)} ${fmt(f.rows).padStart(17)} ${fmt(f.events).padStart(12)} ${fmt(f.cells).padStart(16)}   ` +
        `${(f.rows / Math.max(1, f.cells)).toFixed(2)}, ${f.maxPerCell}`,
    );
  }
  const [district, school, klass] = figures;
  const above = await classesAboveSchool(ch);
  const agree = district!.events === school!.events && klass!.events <= school!.events && above === 0;
  say(
    `levels ${agree ? 'agree' : 'DISAGREE'}: district events ${district!.events === school!.events ? '=' : '≠'} Σ schools; ` +
      `classes hold ${((100 * klass!.events) / Math.max(1, school!.events)).toFixed(1)} % of the school events ` +
      `(the class-attributed use); school cells whose classes exceed them: ${above}`,
  );
  if (!agree) throw new Error('the generated rollup levels disagree: the data is not what the sink would write');
  return figures;
}
