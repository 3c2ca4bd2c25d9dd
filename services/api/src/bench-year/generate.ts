/**
 * Phase 1 of `pnpm bench:year`: the benchmark district (packages/licenses/src/bench, shared with
 * `pnpm bench:licenses`) with a school year of all three rollup levels, folded
 * `batchesPerPartitionDay` times per partition a day as the sink would.
 */
import type { ClickHouseClient } from '@edusage/clickhouse';
import { ALL_LEVELS } from '@edusage/rollups';
import {
  generateRollups,
  generateRoster,
  importInventory,
  ms,
  timed,
  type DistrictShape,
} from '@edusage/licenses/dist/bench/district';

const say = (line: string) => process.stdout.write(line + '\n');

export async function generateYear(ch: ClickHouseClient, shape: DistrictShape, batches: number): Promise<void> {
  const { ms: rosterMs } = await timed(() => generateRoster(ch, shape));
  say(
    `roster: ${shape.schools} schools, ${shape.classes} classes, ${shape.students} students, ${shape.teachers} teachers (${ms(rosterMs)})`,
  );
  say(
    `rollups: ${shape.schoolDays} school days from ${shape.firstDay}, ${shape.partitions} partitions × ${batches} sink batches a day, ` +
      `levels ${ALL_LEVELS.join(', ')} (INSERT … SELECT, max_threads 1, ${shape.daysPerInsert} days per INSERT)`,
  );
  const started = Date.now();
  const { ms: rollupMs } = await timed(() =>
    generateRollups(
      ch,
      (done) => {
        const s = Math.round((Date.now() - started) / 1000);
        process.stdout.write(`\r  ${done}/${shape.schoolDays} school days (${s} s)`);
      },
      { levels: ALL_LEVELS, batchesPerPartitionDay: batches },
      shape,
    ),
  );
  say(`\n  generated in ${(rollupMs / 1000).toFixed(0)} s`);
  const { ms: inventoryMs } = await timed(() => importInventory(ch, shape));
  say(`licenses: ${shape.apps} licenses and approvals through the real import (${ms(inventoryMs)})`);
}
