import type { Redis } from 'ioredis';
import type { ClickHouseClient } from '@edusage/clickhouse';
import { AppCatalog, loadShippedCatalog } from '../catalog/catalog';
import { loadDistrictCatalog } from '../catalog/store';
import { newVersionId, assertSafeDistrictId } from '../store/versioned';
import { buildDimensionRows, writeDimensions } from './dimensions';
import {
  formatIssue,
  importBlockers,
  loadRosterDir,
  type ColumnRenames,
  type RosterCatalog,
  type RosterFormat,
  type RosterReport,
} from './roster-dir';
import { saveRosterToRedis } from './store';
import { recordOrCheckPseudonymKey } from '../enrich/key-fingerprint';

export interface RosterImportOptions {
  dir: string;
  districtId: string;
  redis: Redis;
  redisPrefix: string;
  pseudonymKey: string;
  /** When given, the ClickHouse dimension tables are written too. */
  clickhouse?: ClickHouseClient;
  /** Refuse a bundle whose manifest marks files as delta (a delta is not a whole roster) unless true. */
  allowDelta?: boolean;
  courseAppsFile?: string;
  networksFile?: string;
  /** Format of the folder; default: detected. */
  format?: RosterFormat;
  /** Columns to read under another name, per file. */
  renames?: ColumnRenames;
  /** Import despite file-level warnings (file-level errors always refuse the import). */
  acceptWarnings?: boolean;
  /** The district's local day (YYYY-MM-DD) the dimensions describe; default today in UTC. */
  day?: string;
}

export interface RosterImportResult {
  version: string;
  previousVersion: string | null;
  report: RosterReport;
  counts: Record<string, number>;
  droppedClickHouseVersions: string[];
}

/** Thrown when the roster's files have problems that would make it load wrong; nothing was written. */
export class RosterRefusedError extends Error {
  constructor(
    message: string,
    readonly report: RosterReport,
  ) {
    super(message);
  }
}

/**
 * Imports a roster folder (OneRoster or Microsoft SDS) for one district: parse (bad rows reported and
 * skipped; file-level problems refuse the import before anything is written), write a new
 * version to Redis and switch `roster:<district>:current` to it (workers pick it up within their poll
 * interval), then write the ClickHouse dimensions under the same version.
 */
/** The catalog the district's events resolve with: the shipped one and the district's extension. */
async function districtCatalog(opts: RosterImportOptions): Promise<RosterCatalog> {
  const extension = await loadDistrictCatalog(opts.redis, opts.redisPrefix, opts.districtId);
  return {
    apps: new AppCatalog(loadShippedCatalog(), extension?.apps ?? []),
    name: extension ? `the shipped app catalog and district ${opts.districtId}'s` : 'the shipped app catalog',
  };
}

export async function importRoster(opts: RosterImportOptions): Promise<RosterImportResult> {
  assertSafeDistrictId(opts.districtId);
  const { data, report } = await loadRosterDir(opts.dir, {
    catalog: await districtCatalog(opts),
    ...(opts.courseAppsFile ? { courseAppsFile: opts.courseAppsFile } : {}),
    ...(opts.networksFile ? { networksFile: opts.networksFile } : {}),
    ...(opts.format ? { format: opts.format } : {}),
    ...(opts.renames ? { renames: opts.renames } : {}),
  });
  const blockers = importBlockers(report, opts.acceptWarnings ?? false);
  if (blockers.length > 0) {
    throw new RosterRefusedError(
      `the roster was not imported: ${blockers.length} file-level problem(s) would make it load wrong\n` +
        blockers.map(formatIssue).join('\n'),
      report,
    );
  }
  if (report.deltaFiles.length > 0 && !opts.allowDelta) {
    throw new Error(
      `the manifest marks ${report.deltaFiles.join(', ')} as delta; a roster import replaces the whole roster, so pass --allow-delta to import it anyway`,
    );
  }
  await recordOrCheckPseudonymKey({ redis: opts.redis, prefix: opts.redisPrefix, key: opts.pseudonymKey });
  const now = new Date();
  const version = newVersionId(now.getTime());
  const counts = {
    orgs: data.orgs.size,
    users: data.users.size,
    classes: data.classes.size,
    courses: data.courses.size,
    enrollments: data.enrollments.size,
    sessions: data.sessions.size,
    course_apps: data.courseApps.size,
    networks: data.networks.size,
  };
  const written = await saveRosterToRedis(
    opts.redis,
    opts.redisPrefix,
    opts.districtId,
    data,
    {
      oneroster_version: report.onerosterVersion ?? '',
      roster_format: `${report.format} ${report.formatVersion ?? ''}`.trim(),
      source_dir: opts.dir,
    },
    version,
  );
  let dropped: string[] = [];
  if (opts.clickhouse) {
    const rows = buildDimensionRows(opts.districtId, version, data, opts.pseudonymKey, opts.day);
    dropped = (
      await writeDimensions(
        opts.clickhouse,
        opts.districtId,
        version,
        rows,
        { oneroster_version: report.onerosterVersion ?? '' },
        now,
      )
    ).droppedVersions;
  }
  return {
    version,
    previousVersion: written.previous,
    report,
    counts,
    droppedClickHouseVersions: dropped,
  };
}
