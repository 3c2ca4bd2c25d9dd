import { readFileSync } from 'node:fs';
import path from 'node:path';
import { hostOf } from '../catalog/catalog';
import { parseCidr } from '../enrich/network';
import type { ColumnRules } from './columns';
import { req } from './fields';
import { newSummary, readRosterFile, type LoadContext, type RosterCatalog } from './load-file';

const COURSE_APPS_COLUMNS: ColumnRules = {
  source: 'the course_apps.csv extension',
  required: ['courseSourcedId', 'appId'],
  needed: {
    courseSourcedId: 'no course would get its apps',
    appId: 'no course would get its apps',
  },
  read: ['courseSourcedId', 'appId'],
  known: ['courseSourcedId', 'appId'],
};

/**
 * Why an appId is not one events carry, or null when it is an app id of the catalog. Events carry
 * the catalog's id (a domain or URL resolves to its app), so any other id never infers a class.
 */
function unknownAppId(app: string, catalog: RosterCatalog): string | null {
  if (catalog.apps.get(app)) return null;
  const resolved = catalog.apps.resolve({ app_id: app });
  const noClass = 'so no class would be inferred from this row';
  if (resolved.app_resolved)
    return `appId "${app}" is not an app id of ${catalog.name}: events of that app carry "${resolved.app_id}", ${noClass}; write ${resolved.app_id}`;
  const host = hostOf(app);
  if (host !== null)
    return `appId "${app}" is a domain no app of ${catalog.name} has: its events carry "domain:${host}", ${noClass}; add the app with \`catalog import\` and write its app id`;
  return `appId "${app}" is not in ${catalog.name}: only events sent with exactly this app id match it; check the id, or add the app with \`catalog import\``;
}

/** District extension `course_apps.csv`: courseSourcedId,appId (one row per pair). */
export async function loadCourseApps(ctx: LoadContext, file: string | null): Promise<void> {
  const { data, catalog } = ctx;
  await readRosterFile(
    ctx,
    {
      file: 'course_apps.csv',
      columns: COURSE_APPS_COLUMNS,
      row(v, { warn }) {
        const course = req(v, 'courseSourcedId');
        const app = req(v, 'appId').toLowerCase();
        if (!data.courses.has(course)) warn('courseSourcedId', `course "${course}" is not in the roster's courses`);
        const unknown = unknownAppId(app, catalog);
        if (unknown !== null) warn('appId', unknown);
        const apps = data.courseApps.get(course) ?? [];
        if (!apps.includes(app)) apps.push(app);
        data.courseApps.set(course, apps);
        return 'kept';
      },
    },
    { filePath: file, optional: true },
  );
}

/** District extension `networks.json`: { "<school sourcedId>": ["10.1.0.0/16", ...] }. */
export function loadNetworks(ctx: LoadContext, file: string | null): void {
  if (!file) return;
  const { data, report } = ctx;
  const name = path.basename(file);
  const summary = newSummary(name);
  report.files.push(summary);
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8').replace(/^\uFEFF/, ''));
  } catch (err) {
    report.issues.push({ file: name, severity: 'error', message: `not valid JSON: ${(err as Error).message}` });
    summary.rejected++;
    return;
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    report.issues.push({
      file: name,
      severity: 'error',
      message: 'must be an object { "<school sourcedId>": ["CIDR", ...] }',
    });
    summary.rejected++;
    return;
  }
  for (const [school, value] of Object.entries(parsed as Record<string, unknown>)) {
    summary.rows++;
    const cidrs = typeof value === 'string' ? [value] : value;
    if (!Array.isArray(cidrs)) {
      report.issues.push({
        file: name,
        field: school,
        severity: 'error',
        message: `networks of "${school}" must be a list of CIDR blocks`,
      });
      summary.rejected++;
      continue;
    }
    const good: string[] = [];
    for (const c of cidrs) {
      try {
        if (typeof c !== 'string') throw new Error(`${JSON.stringify(c)} is not a string`);
        good.push(parseCidr(c).text);
      } catch (err) {
        report.issues.push({ file: name, field: school, severity: 'error', message: (err as Error).message });
      }
    }
    if (!data.orgs.has(school)) {
      report.issues.push({
        file: name,
        field: school,
        severity: 'warning',
        message: `school "${school}" is not in the roster's orgs`,
      });
    }
    if (good.length === 0) {
      summary.rejected++;
      continue;
    }
    data.networks.set(school, good);
    summary.kept++;
  }
}
