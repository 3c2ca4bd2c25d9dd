import { ClickHouseLogLevel, createClient, type ClickHouseClient } from '@clickhouse/client';
import { sqlIdentifier } from './escape';

export type { ClickHouseClient };

export interface ClickHouseConfig {
  CLICKHOUSE_URL: string;
  CLICKHOUSE_USER: string;
  CLICKHOUSE_PASSWORD: string;
  CLICKHOUSE_DATABASE: string;
}

/**
 * A client whose unqualified table names resolve in CLICKHOUSE_DATABASE. `keepAlive: false` opens a
 * connection per request (the aggregate sink's INSERTs with HTTP external data need it: 18.16 leaves
 * such a connection unusable for the next request).
 */
/** How long the client waits for an answer. */
export const CLIENT_TIMEOUT_MS = 60_000;

export function createClickHouse(
  config: ClickHouseConfig,
  database: string = config.CLICKHOUSE_DATABASE,
  opts: {
    keepAlive?: boolean;
    /**
     * ClickHouse stops a query of this client after this many seconds (`max_execution_time`). The
     * client gives up waiting at 60 s, but ClickHouse 18.16 does not stop a query whose client left:
     * without a limit under that, an abandoned query runs on (and a retry runs it again beside it).
     */
    maxExecutionSeconds?: number;
  } = {},
): ClickHouseClient {
  return createClient({
    ...(opts.maxExecutionSeconds !== undefined
      ? { clickhouse_settings: { max_execution_time: opts.maxExecutionSeconds } }
      : {}),
    keep_alive: { enabled: opts.keepAlive ?? true },
    url: config.CLICKHOUSE_URL,
    username: config.CLICKHOUSE_USER,
    password: config.CLICKHOUSE_PASSWORD,
    database,
    request_timeout: CLIENT_TIMEOUT_MS,
    max_open_connections: 8,
    // ClickHouse 18.16 does not know newer HTTP settings; send none the server must understand.
    compression: { request: false, response: false },
    // Errors reach the caller as exceptions and are logged there (pino); the client's own console
    // logger would print each one a second time.
    log: { level: ClickHouseLogLevel.OFF },
  });
}

/** Creates the configured database if missing (through a client bound to `default`). */
export async function ensureDatabase(config: ClickHouseConfig): Promise<void> {
  const admin = createClickHouse(config, 'default');
  try {
    await admin.command({ query: `CREATE DATABASE IF NOT EXISTS ${sqlIdentifier(config.CLICKHOUSE_DATABASE)}` });
  } finally {
    await admin.close();
  }
}

export async function dropDatabase(config: ClickHouseConfig): Promise<void> {
  const admin = createClickHouse(config, 'default');
  try {
    await admin.command({ query: `DROP DATABASE IF EXISTS ${sqlIdentifier(config.CLICKHOUSE_DATABASE)}` });
  } finally {
    await admin.close();
  }
}
