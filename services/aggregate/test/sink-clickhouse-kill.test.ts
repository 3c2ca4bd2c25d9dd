import { createClickHouse, type ClickHouseClient } from '@edusage/clickhouse';
import { createTestEnv, startPrivateClickHouse, waitFor, type PrivateClickHouse, type TestEnv } from '@edusage/testkit';
import { makeEnrichedEvents, referenceDistrictRollup } from './enriched-fixtures';
import {
  interceptClickHouse,
  produceEnriched,
  readDistrictRollup,
  sortedReference,
  startWorker,
  storedCounts,
} from './sink-harness';

jest.setTimeout(300_000);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The real SinkWorker while its ClickHouse is SIGKILLed at exact steps: right after an INSERT reached the
 * server (its response lost with the server), and in the middle of a rollup derivation. The worker must
 * find out what was stored before retrying (remove its re-check after a failed INSERT and this fails with
 * rows stored twice) and end with every offset once and rollups equal to a reference computed from the input.
 */
describe('aggregate sink while its ClickHouse is killed mid-write', () => {
  let server: PrivateClickHouse;
  let env: TestEnv;
  let ch: ClickHouseClient;

  beforeAll(async () => {
    server = await startPrivateClickHouse();
    env = await createTestEnv('sink_ch_kill', { partitions: 1, clickhouseUrl: server.url });
    ch = createClickHouse(env.config);
  });
  afterAll(async () => {
    await ch?.close();
    await env?.cleanup();
    await server?.cleanup();
  });

  it('stores every event once and folds it once when ClickHouse dies after an INSERT and during a derivation', async () => {
    let restarts: Promise<void> = Promise.resolve();
    const killAndRestart = async () => {
      // The previous restart may still be polling for readiness although the server already answered
      // the worker; two restart loops at once would race each other's start ("already running").
      await restarts;
      await server.stop('SIGKILL');
      restarts = (async () => {
        // A server started right after a SIGKILL occasionally exits during start-up under load: try again.
        for (let attempt = 1; ; attempt++) {
          await sleep(1500);
          try {
            await server.start();
            return;
          } catch (err) {
            if (attempt >= 5) throw err;
          }
        }
      })();
    };
    let insertKills = 0;
    let deriveKills = 0;
    const wrapped = (client: ClickHouseClient) =>
      interceptClickHouse(client, {
        write: async (table, send) => {
          const result = await send();
          if (table === 'usage_events' && insertKills < 2) {
            insertKills += 1;
            await killAndRestart(); // the rows are in; the worker never hears so
            throw new Error('socket hang up');
          }
          return result;
        },
        command: async (params, real) => {
          if (params.query.includes('INSERT INTO rollup_school_app_daily_parts') && deriveKills < 1) {
            deriveKills += 1;
            await real(params);
            await killAndRestart(); // district and school levels written, class level and watermark not
            throw new Error('socket hang up');
          }
          return real(params);
        },
      });
    const events = makeEnrichedEvents(2000, 41);
    const sink = await startWorker(env, ch, 'ch-kill', wrapped);
    try {
      await produceEnriched(sink.producer, env.topics.enriched, events);
      const expected = referenceDistrictRollup(events);
      const unique = [...expected.values()].reduce((s, c) => s + c.events, 0);
      await waitFor(
        () => storedCounts(ch),
        (c) => c.offsets >= unique,
        { what: 'all events stored', timeoutMs: 180_000, intervalMs: 500 },
      );
      await restarts;
      expect({ insertKills, deriveKills }).toEqual({ insertKills: 2, deriveKills: 1 });
      await waitFor(
        () => readDistrictRollup(ch),
        (r) => r.reduce((s, [, c]) => s + c.events, 0) >= unique,
        { what: 'rollups complete', timeoutMs: 60_000, intervalMs: 500 },
      );
      expect(await storedCounts(ch)).toEqual({ rows: unique, offsets: unique });
      expect(await readDistrictRollup(ch)).toEqual(sortedReference(expected));
    } finally {
      await sink.stop();
    }
  });
});
