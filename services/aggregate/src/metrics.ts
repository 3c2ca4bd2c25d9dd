import { Counter, Gauge, type Registry } from 'prom-client';
import type { SinkStats } from './sink-worker';

const HELP: Record<keyof SinkStats, string> = {
  batches: 'Partition batches stored (and committed, or left for a later fold and commit)',
  inserted:
    "Rows sent to ClickHouse in the sink's INSERTs (the INSERT itself drops those of people erased meanwhile: ClickHouse 18.16 reports no written-row count)",
  duplicates: 'Events skipped as source-level duplicates (dedup_key claimed by another message)',
  alreadyStored: 'Rows skipped because their offset was already stored (redelivery)',
  rejected: 'Messages sent to the dead letters by the sink',
  retries: 'Failed attempts that were retried (ClickHouse or Kafka unavailable)',
  abandoned:
    'Batches abandoned uncommitted: the partition was revoked or moved, or sought back (for an owed fold or held messages) and fetched again',
  foldsPutOff: 'Batches stored and left unfolded and uncommitted until the fold interval passed',
  foldSeeks: 'Seeks back to an idle partition to fold (and commit) what it owed',
  batchesHeld: "Batches held in memory (neither stored nor committed) to be stored with the partition's next ones",
  gatherSeeks: 'Seeks back to an idle partition to store the batches it held',
  inserts:
    "INSERT statements of rows ClickHouse took (one per month; several partitions' batches joined when they waited together)",
  insertedBatches:
    'Partition batches (per month) carried by those INSERTs: above the INSERT count when batches were joined',
};

const NAMES: Record<keyof SinkStats, string> = {
  batches: 'edusage_aggregate_batches_total',
  inserted: 'edusage_aggregate_rows_inserted_total',
  duplicates: 'edusage_aggregate_duplicates_total',
  alreadyStored: 'edusage_aggregate_already_stored_total',
  rejected: 'edusage_aggregate_dead_letters_total',
  retries: 'edusage_aggregate_retries_total',
  abandoned: 'edusage_aggregate_batches_abandoned_total',
  foldsPutOff: 'edusage_aggregate_folds_put_off_total',
  foldSeeks: 'edusage_aggregate_fold_seeks_total',
  batchesHeld: 'edusage_aggregate_batches_held_total',
  gatherSeeks: 'edusage_aggregate_gather_seeks_total',
  inserts: 'edusage_aggregate_inserts_total',
  insertedBatches: 'edusage_aggregate_inserted_batches_total',
};

/**
 * Exposes the sink's running totals as Prometheus counters, and the messages it holds now (gathered
 * batches: fetched, neither stored nor committed) as a gauge; read at scrape time.
 */
export function registerSinkMetrics(registry: Registry, stats: SinkStats, heldMessages: () => number): void {
  new Gauge({
    name: 'edusage_aggregate_messages_held',
    help: "Messages fetched and held in memory to be stored with their partition's next batch (not yet stored or committed)",
    registers: [registry],
    collect() {
      this.set(heldMessages());
    },
  });
  for (const key of Object.keys(NAMES) as (keyof SinkStats)[]) {
    new Counter({
      name: NAMES[key],
      help: HELP[key],
      registers: [registry],
      collect() {
        this.reset();
        this.inc(stats[key]);
      },
    });
  }
}
