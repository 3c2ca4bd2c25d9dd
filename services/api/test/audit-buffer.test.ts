/**
 * The audit log's buffer while an insert is in flight (no ClickHouse: the insert is held by the test):
 * every entry is either written or dropped, once, and what is dropped is exactly what is counted and
 * logged as dropped.
 */
import type { ClickHouseClient } from '@edusage/clickhouse';
import type { Logger } from '@edusage/logging';
import { AuditLog, createApiMetrics, type AuditEntry } from '@edusage/api';

/** `r<n>`, recorded at 12:00:0<n>. */
const entry = (id: string): AuditEntry => ({
  at: `2026-09-17 12:00:0${id.slice(1)}`,
  at_ms: 0,
  request_id: id,
  token_id: '',
  role: '',
  district_id: 'dA',
  method: 'GET',
  route: '/v1/research',
  params: '{}',
  status: 200,
  duration_ms: 1,
  ip: '127.0.0.1',
  aborted: 0,
});

/** An AuditLog whose inserts wait for the test to settle them, with what it inserted, logged and counted. */
function heldAuditLog(opts: { batch: number; maxBuffer: number }) {
  const inserts: { ids: string[]; settle: (err?: Error) => void }[] = [];
  const ch = {
    insert: (params: { values: AuditEntry[] }) =>
      new Promise<void>((resolve, reject) => {
        inserts.push({ ids: params.values.map((e) => e.request_id), settle: (err) => (err ? reject(err) : resolve()) });
      }),
  } as unknown as ClickHouseClient;
  const droppedLogged: string[] = [];
  const firstDroppedAt: string[] = [];
  const logger = {
    error: (fields: { first?: string; entries?: AuditEntry[] }) => {
      if (fields.first !== undefined) firstDroppedAt.push(fields.first);
      droppedLogged.push(...(fields.entries ?? []).map((e) => e.request_id));
    },
    warn: () => undefined,
  } as unknown as Logger;
  const metrics = createApiMetrics({ defaultMetrics: false });
  const audit = new AuditLog(ch, logger, metrics, { flushMs: 60_000, ...opts });
  const counted = async (name: 'auditDropped' | 'auditWritten') =>
    (await metrics[name].get()).values.reduce((n, v) => n + v.value, 0);
  return { audit, inserts, droppedLogged, firstDroppedAt, counted };
}

/** Lets the settled insert's handlers run. */
const settled = () => new Promise((r) => setImmediate(r));

test('entries recorded while a batch is in flight: the buffer drops waiting entries, never the batch', async () => {
  // The reviewer's case: batch 3, buffer 5, r1..r7; r1..r3 are in flight when r4..r7 come.
  const { audit, inserts, droppedLogged, firstDroppedAt, counted } = heldAuditLog({ batch: 3, maxBuffer: 5 });
  for (let i = 1; i <= 7; i++) audit.record(entry(`r${i}`));
  expect(inserts.map((i) => i.ids)).toEqual([['r1', 'r2', 'r3']]);
  inserts[0]!.settle();
  await settled();
  const last = audit.flush();
  inserts[1]!.settle();
  await last;

  const written = inserts.flatMap((i) => i.ids);
  expect(written).toEqual(['r1', 'r2', 'r3', 'r6', 'r7']);
  // r4, r5: dropped one at a time (r6, then r7 came), each logged, never written.
  expect(firstDroppedAt).toEqual(['2026-09-17 12:00:04', '2026-09-17 12:00:05']);
  expect(droppedLogged).toEqual(['r4', 'r5']);
  expect(await counted('auditDropped')).toBe(2);
  expect(await counted('auditWritten')).toBe(5);
  expect(audit.waiting).toBe(0);
});

test('a failed insert puts its batch back in front; then the oldest are the ones dropped', async () => {
  const { audit, inserts, droppedLogged, counted } = heldAuditLog({ batch: 3, maxBuffer: 5 });
  for (let i = 1; i <= 5; i++) audit.record(entry(`r${i}`));
  expect(audit.waiting).toBe(5);
  inserts[0]!.settle(new Error('ClickHouse refused'));
  await settled();
  expect(audit.waiting).toBe(5);
  audit.record(entry('r6')); // six waiting, none in flight: r1 goes
  expect(droppedLogged).toEqual(['r1']);

  for (let n = 1; audit.waiting > 0; n++) {
    const done = audit.flush();
    inserts[n]!.settle();
    await done;
  }
  expect(inserts.slice(1).map((i) => i.ids)).toEqual([
    ['r2', 'r3', 'r4'],
    ['r5', 'r6'],
  ]);
  expect(await counted('auditDropped')).toBe(1);
  expect(await counted('auditWritten')).toBe(5);
});

test('stop waits for the batch in flight', async () => {
  const { audit, inserts, counted } = heldAuditLog({ batch: 2, maxBuffer: 100 });
  audit.record(entry('r1'));
  audit.record(entry('r2'));
  const stopped = audit.stop();
  await settled();
  inserts[0]!.settle();
  await stopped;
  expect(await counted('auditWritten')).toBe(2);
  expect(await counted('auditDropped')).toBe(0);
});
