/**
 * The probes' latency split into ingest, enrich and aggregate (`summarizeHops`): each part from the
 * probe's own timestamps, probes missing one left out, and the slowest tenth chosen by the whole
 * 202 → queryable time, not by the part.
 */
import { summarizeHops } from '../src/probe-hops';
import type { Probe } from '../src/probes';

/** A probe acknowledged at `ack`, its records made `ingest` ms before and `enrich` ms after, seen `aggregate` ms later. */
function probe(i: number, ingest: number, enrich: number, aggregate: number): Probe {
  const ackAt = 1_000_000 + i * 100;
  return {
    id: `p${i}`,
    storedId: `s${i}`,
    phase: 'paced',
    sentAt: ackAt - 20,
    ackAt,
    producedAt: ackAt - ingest,
    enrichedAt: ackAt + enrich,
    visibleAt: ackAt + enrich + aggregate,
  };
}

test('splits each probe into its three parts, with percentiles by nearest rank', () => {
  // Ten probes: ingest 1..10 ms, enrich 10 ms each, aggregate 100..1000 ms.
  const probes = Array.from({ length: 10 }, (_, i) => probe(i, i + 1, 10, (i + 1) * 100));
  const h = summarizeHops(probes)!;
  expect(h.probes).toBe(10);
  expect(h.ingestAck).toMatchObject({ p50: 5, p90: 9, p99: 10 });
  expect(h.ackToEnriched).toMatchObject({ p50: 10, p90: 10, p99: 10 });
  expect(h.enrichedToQueryable).toMatchObject({ p50: 500, p90: 900, p99: 1000 });
  // The slowest tenth is the one probe of 1,010 ms in all: its parts, not each part's own maximum.
  expect(h.enrichedToQueryable.slowestTenthMean).toBe(1000);
  expect(h.ingestAck.slowestTenthMean).toBe(10);
});

test('the slowest tenth is chosen by the whole latency, so a part can be small there', () => {
  // Nine probes slow in the aggregate, one slow in enrich only but slowest in all.
  const probes = [...Array.from({ length: 9 }, (_, i) => probe(i, 1, 1, 500)), probe(9, 1, 2000, 1)];
  const h = summarizeHops(probes)!;
  expect(h.ackToEnriched.slowestTenthMean).toBe(2000);
  expect(h.enrichedToQueryable.slowestTenthMean).toBe(1);
  expect(h.enrichedToQueryable.p50).toBe(500);
});

test('probes without both records or not seen are left out; none left gives null', () => {
  const whole = probe(1, 5, 5, 50);
  const noRecord: Probe = { ...probe(2, 5, 5, 50), enrichedAt: undefined };
  const notSeen: Probe = { ...probe(3, 5, 5, 50), visibleAt: undefined };
  const h = summarizeHops([whole, noRecord, notSeen])!;
  expect(h.probes).toBe(1);
  expect(summarizeHops([noRecord, notSeen])).toBeNull();
});
