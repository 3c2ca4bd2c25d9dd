import { createClickHouse, type ClickHouseClient } from '@edusage/clickhouse';
import { createTestEnv, type TestEnv } from '@edusage/testkit';
import { claimEvents, type Claim } from '../src/dedup';

jest.setTimeout(240_000);

const DAY_MS = 86_400_000;

/** `n` claims, one a day from 1975 on (or all on `sameDay`), keys and offsets counted from `firstOffset`. */
function claimsOnDays(n: number, firstOffset: number, sameDay?: string): Claim[] {
  return Array.from({ length: n }, (_, i) => ({
    key: (BigInt(i + 1) * 0x9e3779b97f4a7c15n).toString(16).padStart(32, '0').slice(-32),
    localDate: sameDay ?? new Date(Date.UTC(1975, 0, 1) + i * DAY_MS).toISOString().slice(0, 10),
    offset: String(firstOffset + i),
  }));
}

// The lookup sends the batch's keys and days in its SQL text. A batch spanning more days than a query
// can name (max_query_size, 256 KiB) must still be looked up, in several queries.
describe('duplicate claims over many days (real ClickHouse)', () => {
  let env: TestEnv;
  let ch: ClickHouseClient;
  beforeAll(async () => {
    env = await createTestEnv('claims_days');
    ch = createClickHouse(env.config);
  });
  afterAll(async () => {
    await ch?.close();
    await env?.cleanup();
  });

  it('claims 16,000 events on 16,000 days, then finds every one owned when copies come', async () => {
    const first = claimsOnDays(16_000, 0);
    expect(await claimEvents(ch, 'usage.enriched', 0, first)).toEqual(first.map(() => true));
    // The same events again at later offsets: every one is already owned by its first offset.
    const copies = claimsOnDays(16_000, 20_000);
    expect(await claimEvents(ch, 'usage.enriched', 0, copies)).toEqual(copies.map(() => false));
    // The first messages redelivered still own their events.
    expect(await claimEvents(ch, 'usage.enriched', 0, first.slice(0, 100))).toEqual(
      first.slice(0, 100).map(() => true),
    );
  });

  it('looks up 9,000 keys of one day in several queries, each naming that day', async () => {
    const first = claimsOnDays(9_000, 0, '2026-10-01');
    expect(await claimEvents(ch, 'usage.enriched', 1, first)).toEqual(first.map(() => true));
    const copies = claimsOnDays(9_000, 20_000, '2026-10-01');
    expect(await claimEvents(ch, 'usage.enriched', 1, copies)).toEqual(copies.map(() => false));
  });
});
