#!/usr/bin/env node
/**
 * `node services/api/dist/bench.js`: p50/p95 of the main report endpoints over HTTP, on a database
 * that already holds a district (default: the demo's `edusage_demo`, district d1, all its days). The
 * API runs in this process with a Redis prefix of its own (a bench admin token, its rate-limit
 * counters), deleted afterwards; its audit entries go to the database's api_audit_log.
 */
import { randomBytes } from 'node:crypto';
import { Command } from 'commander';
import { Redis } from 'ioredis';
import { queryRows, sqlString } from '@edusage/clickhouse';
import { createLogger } from '@edusage/logging';
import { deleteKeysWithPrefix } from '@edusage/redis';
import { startApi } from './app';
import { loadApiConfig } from './config';

const quantile = (sorted: number[], q: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;

async function main(): Promise<void> {
  const o = new Command()
    .name('api-bench')
    .option('--database <name>', 'ClickHouse database holding the district', 'edusage_demo')
    .option('--district <id>', 'district', 'd1')
    .option('--requests <n>', 'requests per endpoint (after 3 warm-up requests)', '40')
    .parse()
    .opts<{ database: string; district: string; requests: string }>();
  const prefix = `api-bench-${randomBytes(4).toString('hex')}:`;
  const config = loadApiConfig({
    ...process.env,
    CLICKHOUSE_DATABASE: o.database,
    REDIS_KEY_PREFIX: prefix,
    API_PORT: '0',
    API_RATE_LIMIT: '1000000',
    LOG_LEVEL: 'warn',
  });
  const api = await startApi(config, createLogger('api-bench', 'warn'), { defaultMetrics: false });
  try {
    const [range] = await queryRows<{ from: string; to: string; days: string }>(
      api.deps.ch,
      `SELECT toString(min(local_date)) AS from, toString(max(local_date)) AS to, uniqExact(local_date) AS days
       FROM rollup_district_app_daily WHERE district_id = ${sqlString(o.district)}`,
    );
    if (!range || Number(range.days) === 0)
      throw new Error(`district ${o.district} has no usage in ${o.database} (run the demo first: bash scripts/demo)`);
    const { token } = await api.tokens.create({ districtId: o.district, role: 'admin', name: 'bench' });
    const p = `from=${range.from}&to=${range.to}`;
    const urls = [
      `/v1/usage/district?${p}`,
      `/v1/usage/schools?${p}`,
      `/v1/usage/classes?${p}`,
      `/v1/usage/classes?${p}&format=csv`,
      `/v1/usage/weekly?${p}`,
      `/v1/usage/campus?${p}`,
      `/v1/licenses?window=${range.from}..${range.to}`,
      `/v1/licenses/schools?window=${range.from}..${range.to}`,
      `/v1/unresolved?${p}`,
      `/v1/dead-letters`,
      `/v1/dead-letters/daily?${p}`,
      // No ClickHouse: what token check, rate limit (Redis) and audit cost per request.
      `/v1/research`,
    ];
    console.log(
      `district ${o.district} in ${o.database}: ${range.from}..${range.to} (${range.days} days); ${o.requests} requests each; ` +
        `reports read ${config.API_DEFAULT_FRESHNESS} (API_DEFAULT_FRESHNESS)`,
    );
    console.log('endpoint'.padEnd(64), 'rows'.padStart(6), 'p50 ms'.padStart(8), 'p95 ms'.padStart(8));
    for (const url of urls) {
      const times: number[] = [];
      let rows = 0;
      for (let i = 0; i < 3 + Number(o.requests); i++) {
        const t = performance.now();
        const res = await fetch(`${api.url}${url}`, { headers: { authorization: `Bearer ${token}` } });
        const body = await res.text();
        if (res.status !== 200) throw new Error(`${url}: ${res.status} ${body.slice(0, 200)}`);
        if (i >= 3) times.push(performance.now() - t);
        rows = url.includes('csv')
          ? body.trim().split('\n').length - 1
          : ((JSON.parse(body) as { rows?: unknown[] }).rows?.length ?? 1);
      }
      times.sort((a, b) => a - b);
      console.log(
        url.padEnd(64),
        String(rows).padStart(6),
        quantile(times, 0.5).toFixed(1).padStart(8),
        quantile(times, 0.95).toFixed(1).padStart(8),
      );
    }
  } finally {
    await api.stop();
    const redis = new Redis(config.REDIS_URL);
    await deleteKeysWithPrefix(redis, prefix).finally(() => redis.disconnect());
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exitCode = 1;
});
