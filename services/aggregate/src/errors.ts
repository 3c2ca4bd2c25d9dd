import { clickhouseErrorCode, TsvValueError } from '@edusage/clickhouse';

/**
 * How the sink tells errors apart (docs/ARCHITECTURE.md "Delivery guarantees"): a permanent error
 * belongs to one record and will fail the same way forever (it goes to the dead-letter topic); anything
 * else is transient and the batch is retried; a refused partition is stopped loudly and never skipped.
 */

/** This record can never be stored as it is (e.g. a time that is not a time). `field` names the culprit. */
export class PermanentError extends Error {
  constructor(
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = 'PermanentError';
  }
}

/**
 * The partition cannot go on without an operator (the topic was recreated, the table has drifted):
 * skipping would drop data and retrying cannot help, so the worker stops the partition and says why.
 */
export class PartitionRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PartitionRefused';
  }
}

/**
 * ClickHouse error codes that mean "these rows cannot be parsed or converted": the same rows fail the
 * same way on every retry. Connection errors, timeouts, "too many parts", memory limits etc. are not here.
 */
const DATA_ERROR_CODES = new Set([
  '6', // CANNOT_PARSE_TEXT
  '26', // CANNOT_PARSE_QUOTED_STRING
  '27', // CANNOT_PARSE_INPUT_ASSERTION_FAILED
  '32', // ATTEMPT_TO_READ_AFTER_EOF
  '38', // CANNOT_PARSE_DATE
  '41', // CANNOT_PARSE_DATETIME
  '53', // TYPE_MISMATCH
  '69', // ARGUMENT_OUT_OF_BOUND
  '70', // CANNOT_CONVERT_TYPE
  '72', // CANNOT_PARSE_NUMBER
  '117', // INCORRECT_DATA
  '131', // TOO_LARGE_STRING_SIZE
  '321', // VALUE_IS_OUT_OF_RANGE_OF_DATA_TYPE
]);

/**
 * True for a ClickHouse exception about the data sent (see DATA_ERROR_CODES), or a value the rows'
 * TabSeparated body cannot carry (TsvValueError, thrown before sending): the same rows fail the same way.
 */
export function isClickHouseDataError(err: unknown): boolean {
  if (err instanceof TsvValueError) return true;
  const code = clickhouseErrorCode(err);
  return code !== undefined && DATA_ERROR_CODES.has(code);
}

/** Kafka group errors after which this member no longer owns what it was given. */
const MEMBERSHIP_LOST = new Set([
  'REBALANCE_IN_PROGRESS',
  'ILLEGAL_GENERATION',
  'UNKNOWN_MEMBER_ID',
  'FENCED_INSTANCE_ID',
]);

/**
 * The group's coordinator moved (its broker died, or handed the group to another): this member's
 * heartbeats and commits go to the wrong broker until it rejoins, and meanwhile the group may move on
 * without it. kafkajs rejoins (and finds the new coordinator) when this error leaves the batch handler;
 * retrying the commit inside the handler never reaches the new coordinator (a 3-broker test stalled for
 * good that way: e2e-kafka-cluster.test.ts).
 */
const COORDINATOR_MOVED = new Set(['NOT_COORDINATOR_FOR_GROUP', 'NOT_COORDINATOR']);

function hasType(err: unknown, types: ReadonlySet<string>): boolean {
  for (let e: unknown = err, depth = 0; e && depth < 3; e = (e as { cause?: unknown }).cause, depth++) {
    const type = (e as { type?: unknown }).type;
    if (typeof type === 'string' && types.has(type)) return true;
  }
  return false;
}

/**
 * True when the batches in flight must be abandoned so that kafkajs rejoins the group: the membership
 * is lost, or the coordinator moved. Abandoning is always safe: nothing is committed past what is
 * stored, and the partition's next owner (maybe this member again) re-reads what is stored.
 */
export function mustRejoin(err: unknown): boolean {
  return hasType(err, MEMBERSHIP_LOST) || hasType(err, COORDINATOR_MOVED);
}
