import { randomBytes } from 'node:crypto';
import { command, insertRows, queryRows, sqlIdentifier, sqlString, type ClickHouseClient } from '@edusage/clickhouse';

export type ImportKind = 'licenses' | 'approvals';
const TABLE: Record<ImportKind, string> = { licenses: 'licenses', approvals: 'app_approvals' };
/** Rows per INSERT: a large inventory is written in a few parts, all invisible until the version is recorded. */
const BATCH = 5000;

/** `<epoch ms>-<hex>`: sorts by time, unique per import. */
export function newVersion(now = new Date()): string {
  return `${now.getTime()}-${randomBytes(4).toString('hex')}`;
}

/** Collects rows of a new version and inserts them in batches. */
export class VersionWriter<T extends object> {
  private pending: object[] = [];
  written = 0;
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
   * latest recorded version), then drops the district's other versions, including rows of an
   * earlier import that died before recording its version.
   */
  async commit(info: { sourceFile: string; rejectedRows: number }, at = new Date()): Promise<{ dropped: string[] }> {
    await this.flush();
    await insertRows(this.ch, 'license_import_versions', [
      {
        district_id: this.districtId,
        kind: this.kind,
        version: this.version,
        imported_ms: at.getTime(),
        imported_at: at.toISOString().slice(0, 19).replace('T', ' '),
        source_file: info.sourceFile,
        accepted_rows: this.written,
        rejected_rows: info.rejectedRows,
      },
    ]);
    const table = sqlIdentifier(TABLE[this.kind]);
    const old = await queryRows<{ version: string }>(
      this.ch,
      `SELECT DISTINCT version FROM ${table} WHERE district_id = ${sqlString(this.districtId)} AND version != ${sqlString(this.version)}`,
    );
    for (const { version } of old) {
      await command(
        this.ch,
        `ALTER TABLE ${table} DROP PARTITION (${sqlString(this.districtId)}, ${sqlString(version)})`,
      );
    }
    return { dropped: old.map((o) => o.version) };
  }

  /** Drops what this version wrote (the import was refused): nothing of it ever became current. */
  async abandon(): Promise<void> {
    this.pending = [];
    if (this.written === 0) return;
    await command(
      this.ch,
      `ALTER TABLE ${sqlIdentifier(TABLE[this.kind])} DROP PARTITION (${sqlString(this.districtId)}, ${sqlString(this.version)})`,
    );
  }
}
