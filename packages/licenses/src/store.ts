import { randomBytes } from 'node:crypto';
import {
  command,
  insertRows,
  queryRows,
  sqlIdentifier,
  sqlString,
  utcDateTime,
  type ClickHouseClient,
} from '@edusage/clickhouse';

export type ImportKind = 'licenses' | 'approvals';
const TABLE: Record<ImportKind, string> = { licenses: 'licenses', approvals: 'app_approvals' };
/** Rows per INSERT: a large inventory is written in a few parts, all invisible until the version is recorded. */
const BATCH = 5000;

/** An unrecorded version older than this is an import that died; the next import drops its rows. */
export const ABANDONED_AFTER_MS = 60 * 60 * 1000;

/** `<epoch ms>-<hex>`: sorts by time, unique per import. */
export function newVersion(now = new Date()): string {
  return `${now.getTime()}-${randomBytes(4).toString('hex')}`;
}

/** Collects rows of a new version and inserts them in batches. */
export class VersionWriter<T extends object> {
  private pending: object[] = [];
  written = 0;
  /** Set once the version's record was sent: from then on the version may be current. */
  private recording = false;
  constructor(
    private readonly ch: ClickHouseClient,
    readonly kind: ImportKind,
    readonly districtId: string,
    readonly version: string,
  ) {}

  async add(row: T): Promise<void> {
    this.pending.push({ district_id: this.districtId, version: this.version, ...row });
    if (this.pending.length >= BATCH) await this.flush();
  }

  async flush(): Promise<void> {
    const rows = this.pending;
    this.pending = [];
    await insertRows(this.ch, TABLE[this.kind], rows);
    this.written += rows.length;
  }

  /**
   * Records the version, which makes it current in one INSERT (the `*_current` views pick the
   * latest recorded version), then drops the district's stale versions (see `staleVersions`).
   * A failed drop is not an error of the import: `cleanup` says why (else null).
   */
  async commit(
    info: { sourceFile: string; rejectedRows: number },
    at = new Date(),
  ): Promise<{ dropped: string[]; cleanup: string | null }> {
    await this.flush();
    this.recording = true;
    await insertRows(this.ch, 'license_import_versions', [
      {
        district_id: this.districtId,
        kind: this.kind,
        version: this.version,
        imported_ms: at.getTime(),
        imported_at: utcDateTime(at),
        source_file: info.sourceFile,
        accepted_rows: this.written,
        rejected_rows: info.rejectedRows,
      },
    ]);
    // The version is current now: a failed clean-up only leaves older versions' rows, which no view
    // reads and the district's next import drops (staleVersions), and must never undo this import.
    const dropped: string[] = [];
    try {
      const table = sqlIdentifier(TABLE[this.kind]);
      for (const version of await this.staleVersions(at.getTime())) {
        await command(
          this.ch,
          `ALTER TABLE ${table} DROP PARTITION (${sqlString(this.districtId)}, ${sqlString(version)})`,
        );
        dropped.push(version);
      }
      return { dropped, cleanup: null };
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      return { dropped, cleanup: `older versions were not all dropped (${why}); the next import drops them` };
    }
  }

  /**
   * Versions of the district this import may drop: recorded ones no newer than this one, and unrecorded
   * ones (an import that died) created more than ABANDONED_AFTER_MS ago. A concurrent import still
   * writing its rows is neither, so two imports at once never drop each other's rows.
   */
  private async staleVersions(recordedMs: number): Promise<string[]> {
    const district = sqlString(this.districtId);
    const recorded = await queryRows<{ version: string; imported_ms: string }>(
      this.ch,
      `SELECT version, toString(max(imported_ms)) AS imported_ms FROM license_import_versions
       WHERE district_id = ${district} AND kind = ${sqlString(this.kind)} GROUP BY version`,
    );
    const recordedAt = new Map(recorded.map((r) => [r.version, Number(r.imported_ms)]));
    const present = await queryRows<{ version: string }>(
      this.ch,
      `SELECT DISTINCT version FROM ${sqlIdentifier(TABLE[this.kind])}
       WHERE district_id = ${district} AND version != ${sqlString(this.version)}`,
    );
    return present
      .map((p) => p.version)
      .filter((v) => {
        const at = recordedAt.get(v);
        if (at !== undefined) return at <= recordedMs;
        return Number(v.split('-')[0]) < recordedMs - ABANDONED_AFTER_MS;
      });
  }

  /**
   * Drops what this version wrote (the import was refused or failed before recording it): nothing of
   * it ever became current. Once its record was sent (even by an INSERT that then failed, which may
   * have stored it) it may be current, and it is kept: unrecorded, a later import drops it.
   */
  async abandon(): Promise<void> {
    this.pending = [];
    if (this.written === 0 || this.recording) return;
    await command(
      this.ch,
      `ALTER TABLE ${sqlIdentifier(TABLE[this.kind])} DROP PARTITION (${sqlString(this.districtId)}, ${sqlString(this.version)})`,
    );
  }
}

export interface InventoryImport {
  kind: ImportKind;
  version: string;
  /** UTC, ISO 8601. */
  imported_at: string;
  source_file: string;
  accepted_rows: number;
  rejected_rows: number;
  /** The version the *_current views read. */
  current: boolean;
}

/** The district's recorded license and approval imports, newest first (`limit` per kind). */
export async function inventoryImports(
  ch: ClickHouseClient,
  districtId: string,
  limit = 20,
): Promise<InventoryImport[]> {
  const rows = await queryRows<
    Omit<InventoryImport, 'current'> & { accepted_rows: number | string; rejected_rows: number | string }
  >(
    ch,
    `SELECT kind, version, toString(imported_at) AS imported_at, source_file, accepted_rows, rejected_rows
     FROM license_import_versions WHERE district_id = ${sqlString(districtId)}
     ORDER BY kind, imported_ms DESC LIMIT ${Math.max(1, Math.floor(limit))} BY kind`,
  );
  return rows.map((r, i) => ({
    ...r,
    imported_at: `${r.imported_at.replace(' ', 'T')}Z`,
    accepted_rows: Number(r.accepted_rows),
    rejected_rows: Number(r.rejected_rows),
    current: i === 0 || rows[i - 1]!.kind !== r.kind,
  }));
}
