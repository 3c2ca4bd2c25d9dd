import { Counter, type Registry } from 'prom-client';
import type { FoldCoalescer } from './fold-coalescer';
import type { SinkStats } from './sink-worker';

/** Prometheus name and help of each running total. */
type Totals<K extends string> = Record<K, { name: string; help: string }>;

const SINK: Totals<keyof SinkStats> = {
  batches: { name: 'edusage_aggregate_batches_total', help: 'Partition batches stored and committed' },
  inserted: { name: 'edusage_aggregate_rows_inserted_total', help: 'Rows inserted into ClickHouse' },
  duplicates: {
    name: 'edusage_aggregate_duplicates_total',
    help: 'Events skipped as source-level duplicates (dedup_key claimed by another message)',
  },
  alreadyStored: {
    name: 'edusage_aggregate_already_stored_total',
    help: 'Rows skipped because their offset was already stored (redelivery)',
  },
  rejected: { name: 'edusage_aggregate_dead_letters_total', help: 'Messages sent to the dead letters by the sink' },
  retries: {
    name: 'edusage_aggregate_retries_total',
    help: 'Failed attempts that were retried (ClickHouse or Kafka unavailable)',
  },
  abandoned: {
    name: 'edusage_aggregate_batches_abandoned_total',
    help: 'Batches abandoned uncommitted because the partition was revoked (the next owner redoes them)',
  },
};

const FOLDS: Totals<keyof FoldCoalescer['stats']> = {
  folds: { name: 'edusage_aggregate_rollup_folds_total', help: 'Rollup folds run (one INSERT per level each)' },
  requests: {
    name: 'edusage_aggregate_rollup_fold_batches_total',
    help: 'Partition batches folded by those folds (more batches than folds: batches folded together)',
  },
};

/** Exposes running totals kept in `stats` as Prometheus counters (read at scrape time). */
function registerTotals<K extends string>(registry: Registry, stats: Record<K, number>, totals: Totals<K>): void {
  for (const key of Object.keys(totals) as K[]) {
    new Counter({
      ...totals[key],
      registers: [registry],
      collect() {
        this.reset();
        this.inc(stats[key]);
      },
    });
  }
}

/** The sink's running totals. */
export function registerSinkMetrics(registry: Registry, stats: SinkStats): void {
  registerTotals(registry, stats, SINK);
}

/** The rollup folds run and the batches they folded. */
export function registerFoldMetrics(registry: Registry, stats: FoldCoalescer['stats']): void {
  registerTotals(registry, stats, FOLDS);
}
