import type { ClickHouseClient } from '@clickhouse/client';

/** True when the server answers `SELECT 1`. */
export async function clickhouseHealth(client: ClickHouseClient): Promise<boolean> {
  try {
    const result = await client.query({ query: 'SELECT 1 AS ok', format: 'JSONEachRow' });
    const rows = await result.json<{ ok: number }>();
    return rows[0]?.ok === 1;
  } catch {
    return false;
  }
}
