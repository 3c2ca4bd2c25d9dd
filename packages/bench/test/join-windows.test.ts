/**
 * A phase and its settling are reported as one CPU window (`joinWindows`): the CPU seconds add up, the
 * cores are over the joined wall time, and the machine's busy cores are weighted by each window's length.
 */
import { joinWindows, type CpuWindow } from '../src/proc';

const window = (wallSeconds: number, cpuSeconds: Record<string, number>, machineBusyCores: number): CpuWindow => ({
  wallSeconds,
  cpuSeconds,
  cores: Object.fromEntries(Object.entries(cpuSeconds).map(([k, v]) => [k, v / wallSeconds])),
  machineBusyCores,
  otherBusyCores: machineBusyCores / 10,
});

test('adds the CPU of both windows, per process, over their joined wall time', () => {
  const phase = window(30, { clickhouse: 12, aggregate: 6 }, 1.5);
  const settle = window(10, { clickhouse: 2, redis: 0.5 }, 0.5);
  const joined = joinWindows(phase, settle);
  expect(joined.wallSeconds).toBe(40);
  expect(joined.cpuSeconds).toEqual({ clickhouse: 14, aggregate: 6, redis: 0.5 });
  expect(joined.cores.clickhouse).toBeCloseTo(14 / 40, 10);
  expect(joined.machineBusyCores).toBeCloseTo((1.5 * 30 + 0.5 * 10) / 40, 10);
  expect(joined.otherBusyCores).toBeCloseTo((0.15 * 30 + 0.05 * 10) / 40, 10);
});

test('a settling of no time changes nothing', () => {
  const phase = window(20, { clickhouse: 4 }, 1);
  const joined = joinWindows(phase, window(0, {}, 0));
  expect(joined.cpuSeconds).toEqual({ clickhouse: 4 });
  expect(joined.machineBusyCores).toBeCloseTo(1, 10);
});
