import { Redis } from 'ioredis';
import { queryArrays, sqlString, type ClickHouseClient } from '@edusage/clickhouse';
import { loadShippedCatalog, type AppEntry } from './catalog/catalog';
import { loadDistrictCatalog } from './catalog/store';

/**
 * What a district's ids are called: its schools (roster org names), classes (titles, with their
 * school) and apps (the app catalog: shipped, then the district's own `catalog import`). Reports key
 * their rows by id; people read names.
 */
export interface DistrictNames {
  schools: ReadonlyMap<string, string>;
  classes: ReadonlyMap<string, { title: string; schoolId: string }>;
  apps: ReadonlyMap<string, string>;
}

/** No names: every id shows as itself. */
export const NO_NAMES: DistrictNames = { schools: new Map(), classes: new Map(), apps: new Map() };

let shipped: readonly AppEntry[] | undefined;

/**
 * Reads a district's names: the current roster dimensions (ClickHouse, as the roster import wrote
 * them) and the app catalog (the shipped file, then `districtApps`, the district's own entries).
 */
export async function readDistrictNames(
  ch: ClickHouseClient,
  districtId: string,
  districtApps: (districtId: string) => Promise<readonly AppEntry[]>,
): Promise<DistrictNames> {
  const district = sqlString(districtId);
  const [schools, classes, own] = await Promise.all([
    queryArrays<[string, string]>(
      ch,
      `SELECT school_id, name FROM dim_schools_current WHERE district_id = ${district} AND name != ''`,
    ),
    queryArrays<[string, string, string]>(
      ch,
      `SELECT class_id, title, school_id FROM dim_classes_current WHERE district_id = ${district} AND title != ''`,
    ),
    districtApps(districtId),
  ]);
  shipped ??= loadShippedCatalog();
  const apps = new Map<string, string>();
  for (const app of [...shipped, ...own]) if (app.name) apps.set(app.app_id, shown(app.name));
  return {
    schools: new Map(schools.map(([id, name]) => [id, shown(name)])),
    classes: new Map(classes.map(([id, title, schoolId]) => [id, { title: shown(title), schoolId }])),
    apps,
  };
}

/** A name as shown on a page or a terminal: control characters (a file's stray escape codes) as spaces. */
function shown(name: string): string {
  // eslint-disable-next-line no-control-regex
  return name.replace(/[\u0000-\u001f\u007f-\u009f]/g, ' ');
}

/** The district's own catalog entries as `readDistrictNames` takes them, from Redis ([] for none). */
export function districtAppsFromRedis(redis: Redis, prefix: string) {
  return async (districtId: string): Promise<readonly AppEntry[]> =>
    (await loadDistrictCatalog(redis, prefix, districtId))?.apps ?? [];
}

/**
 * `readDistrictNames` for a command that runs once (`licenses report`, the demo): the district's catalog
 * read on a Redis connection of its own, closed after. When Redis does not answer, `onCatalogError`
 * (given) gets the cause ioredis reported (refused, auth: its commands fail with a generic error) and
 * the shipped names are used; without it the read fails.
 */
export async function readDistrictNamesOnce(
  ch: ClickHouseClient,
  districtId: string,
  redisConfig: { REDIS_URL: string; REDIS_KEY_PREFIX: string },
  onCatalogError?: (cause: string) => void,
): Promise<DistrictNames> {
  const redis = new Redis(redisConfig.REDIS_URL, { maxRetriesPerRequest: 1, connectTimeout: 2_000, lazyConnect: true });
  let cause: string | undefined;
  redis.on('error', (err: Error) => (cause = err.message));
  const own = districtAppsFromRedis(redis, redisConfig.REDIS_KEY_PREFIX);
  try {
    return await readDistrictNames(ch, districtId, (d) =>
      own(d).catch((err: unknown) => {
        if (!onCatalogError) throw err;
        onCatalogError(cause ?? String(err));
        return [];
      }),
    );
  } finally {
    redis.disconnect();
  }
}

/** One map of display names by id (schools, classes, apps), as the CLI reports take them. */
export function flatNames(names: DistrictNames): Map<string, string> {
  const out = new Map<string, string>(names.apps);
  for (const [id, c] of names.classes) out.set(id, c.title);
  for (const [id, name] of names.schools) out.set(id, name);
  return out;
}
