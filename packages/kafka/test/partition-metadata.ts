import type { PartitionMetadata } from 'kafkajs';

/** A partitioner's view of a topic with `n` partitions, each with a leader. */
export const partitionMetadata = (n: number): PartitionMetadata[] =>
  Array.from({ length: n }, (_, partitionId) => ({
    partitionErrorCode: 0,
    partitionId,
    leader: 0,
    replicas: [],
    isr: [],
  }));
