/** Shared by the jobs suites: the built service as a child process, seeding, a webhook receiver. */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { command, type ClickHouseClient } from '@edusage/clickhouse';
import { importLicenses } from '@edusage/licenses';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { freePort, waitFor } from '@edusage/testkit';
import { bullPrefix } from '../src/queue';

const ENTRY = path.resolve(__dirname, '..', 'dist', 'main.js');

export interface ServiceProcess {
  child: ChildProcess;
  base: string;
  log(): string;
  /** The exit code (null: ended by a signal, e.g. SIGKILL after a stop that did not finish in 20 s). */
  exitCode: Promise<number | null>;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/** Starts dist/main.js with `env` and waits until /readyz answers 200. */
export async function startJobs(env: Record<string, string>): Promise<ServiceProcess> {
  const proc = await spawnJobs(env);
  try {
    await waitFor(
      () => fetch(`${proc.base}/readyz`).then((r) => r.status),
      (s) => s === 200,
      { timeoutMs: 45_000, what: 'jobs ready' },
    );
  } catch (err) {
    await proc.stop('SIGKILL');
    throw new Error(`${String(err)}\n--- service log ---\n${proc.log()}`, { cause: err });
  }
  return proc;
}

/** Starts dist/main.js with `env` without waiting for it to be ready. */
export async function spawnJobs(env: Record<string, string>): Promise<ServiceProcess> {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const child = spawn(process.execPath, [ENTRY], {
    env: { ...process.env, ...env, JOBS_HTTP_PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  const keep = (d: Buffer) => (log = (log + d.toString()).slice(-100_000));
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = once(child, 'exit');
  const proc: ServiceProcess = {
    child,
    base,
    log: () => log,
    exitCode: exited.then(([code]) => code as number | null),
    async stop(signal = 'SIGTERM') {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await exited;
      clearTimeout(timer);
    },
  };
  return proc;
}

const HEADER =
  'licenseId,appId,vendor,orgSourcedId,seatsPurchased,contractCost,costBasis,currency,contractStartDate,renewalDate';

/** Imports license rows (CSV lines after the header above) for a district through the licenses package. */
export async function seedLicenses(ch: ClickHouseClient, districtId: string, lines: string[]): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'edusage-jobs-'));
  try {
    const file = path.join(dir, 'licenses.csv');
    writeFileSync(file, [HEADER, ...lines].join('\n') + '\n');
    const r = await importLicenses(ch, districtId, file);
    if (r.rejected > 0) throw new Error(`seed licenses rejected: ${JSON.stringify(r)}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

let rangeStart = 0;
/**
 * Activity of `people` (distinct person ids) with an app at a school on a day, as the aggregate sink
 * would derive it into the school rollup (each call its own contribution range).
 */
export async function seedActivity(
  ch: ClickHouseClient,
  a: {
    districtId: string;
    schoolId: string;
    day: string;
    appId: string;
    role?: string;
    people: string[];
    seconds?: number;
  },
): Promise<void> {
  rangeStart += 1;
  const people = a.people.map((p) => `'${p}'`).join(',');
  await command(
    ch,
    `INSERT INTO rollup_school_app_daily_parts (district_id, school_id, local_date, app_id, role, kafka_topic, kafka_partition,
       range_start, range_end, events, active_users, explicit_seconds, active_minutes, unresolved_person_events, unresolved_app_events)
     SELECT '${a.districtId}', '${a.schoolId}', toDate('${a.day}'), '${a.appId}', '${a.role ?? 'student'}', 'test', 0,
            ${rangeStart}, ${rangeStart + 1},
            sumState(toUInt64(1)), uniqExactState(p), sumState(toUInt64(${a.seconds ?? 0})),
            uniqExactIfState(p, toDateTime(0, 'UTC'), toUInt8(0)), sumState(toUInt64(0)), sumState(toUInt64(0))
     FROM (SELECT arrayJoin([${people}]) AS p)`,
  );
}

export interface Delivery {
  alertId: string;
  body: string;
  signature: string;
  status: number;
}

/**
 * A webhook receiver on 127.0.0.1 that answers 500 to the first `failFirst` attempts of each alert.
 * With `holdFirst`, the very first request is read but never answered (status 0 in `deliveries`);
 * `held` resolves with its alert id, so a test can kill the sender while the delivery is open.
 */
export async function startReceiver(
  failFirst: number,
  opts: { holdFirst?: boolean } = {},
): Promise<{ url: string; deliveries: Delivery[]; held: Promise<string>; close(): Promise<void> }> {
  const deliveries: Delivery[] = [];
  const attempts = new Map<string, number>();
  let resolveHeld!: (alertId: string) => void;
  const held = new Promise<string>((resolve) => (resolveHeld = resolve));
  let holding = opts.holdFirst === true;
  const read = async (req: IncomingMessage) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  };
  const server: Server = createServer((req, res) => {
    void read(req).then((body) => {
      const alertId = String(req.headers['x-edusage-alert-id'] ?? '');
      const signature = String(req.headers['x-edusage-signature'] ?? '');
      if (holding) {
        holding = false;
        deliveries.push({ alertId, body, signature, status: 0 });
        resolveHeld(alertId);
        return;
      }
      const n = (attempts.get(alertId) ?? 0) + 1;
      attempts.set(alertId, n);
      const status = n <= failFirst ? 500 : 204;
      deliveries.push({ alertId, body, signature, status });
      res.statusCode = status;
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    deliveries,
    held,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/**
 * Adds one job to a running jobs service's queue (`edusage-jobs` under the env's REDIS_KEY_PREFIX) and
 * waits until it ended; returns its return value, or throws with its failure.
 */
export async function runJobToEnd(
  env: { REDIS_URL: string; REDIS_KEY_PREFIX: string },
  name: string,
  data: object,
  timeoutMs = 120_000,
): Promise<unknown> {
  const connection = new Redis(env.REDIS_URL, { maxRetriesPerRequest: null });
  const queue = new Queue('edusage-jobs', { connection, prefix: bullPrefix(env) });
  try {
    const id = `${name}-${Date.now()}`;
    await queue.add(name, data, { jobId: id });
    const state = await waitFor(
      async () => (await queue.getJob(id))?.getState(),
      (s) => s === 'completed' || s === 'failed',
      { timeoutMs, what: `job ${id}` },
    );
    const job = await queue.getJob(id);
    if (state !== 'completed') throw new Error(`job ${id} ${String(state)}: ${job?.failedReason ?? ''}`);
    return job?.returnvalue;
  } finally {
    await queue.close();
    connection.disconnect();
  }
}
