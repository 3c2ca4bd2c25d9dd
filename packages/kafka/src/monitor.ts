import type { Consumer } from 'kafkajs';
import { Counter, Gauge, type Registry } from 'prom-client';

export interface ConsumerMonitorOptions {
  /** Consumer group id (a metric label and the health check's id). */
  group: string;
  /** Where the consumer metrics are registered (served on /metrics). */
  registry: Registry;
  /** Heartbeats older than this mean the group has most likely dropped us (use the session timeout). */
  sessionTimeoutMs: number;
  /** No finished batch for this long while lag > 0 (or one batch running this long) = stalled. */
  stallTimeoutMs: number;
  /** A crash kafkajs will not restart from: the process should exit (a supervisor restarts it). */
  onFatal(err: Error): void;
  now?: () => number;
}

/** The consumer's state for /readyz: a structural HealthCheck of @edusage/runtime. */
export interface ConsumerMonitor {
  id: string;
  check(): { ok: boolean; detail: Record<string, unknown> };
}

/**
 * Watches a kafkajs consumer through its instrumentation events (the way OpenPanel's worker and
 * PostHog's ingestion decide readiness from heartbeats): ready when it has joined its group, has
 * heartbeated within the session timeout, has not stopped or crashed, and is making progress
 * (no batch running longer than stallTimeoutMs; with lag > 0, a batch finished within it).
 * Exports per-partition lag, batches and messages. Must be created before `consumer.run`.
 */
export function monitorConsumer(consumer: Consumer, opts: ConsumerMonitorOptions): ConsumerMonitor {
  const now = opts.now ?? Date.now;
  const labels = { group: opts.group };
  const state: ConsumerState = {
    joinedAt: null,
    lastHeartbeat: 0,
    lastBatchEnd: now(),
    down: 'not joined yet',
    running: new Map(),
    lagByPartition: new Map(),
  };
  const check = () => readiness(state, opts, now());
  const metrics = registerConsumerMetrics(opts.registry, labels, () => check().ok);
  const watch: Watch = { consumer, state, metrics, labels, now };
  watchMembership(watch);
  watchCrashes(watch, opts.onFatal);
  watchBatches(watch);
  return { id: `consumer:${opts.group}`, check };
}

/** What the consumer's events have told so far: readiness is judged from it. */
interface ConsumerState {
  joinedAt: number | null;
  lastHeartbeat: number;
  lastBatchEnd: number;
  /** Why the consumer is out of its group (not joined yet, stopped, disconnected, crashed); null when in. */
  down: string | null;
  /** "topic/partition" → when its running batch started. */
  running: Map<string, number>;
  /** "topic/partition" → its lag as of its latest batch. */
  lagByPartition: Map<string, number>;
}

interface ConsumerMetrics {
  lag: Gauge<'group' | 'topic' | 'partition'>;
  batches: Counter<'group' | 'topic'>;
  messages: Counter<'group' | 'topic'>;
  crashes: Counter<'group' | 'restart'>;
}

/** What the event handlers share. */
interface Watch {
  consumer: Consumer;
  state: ConsumerState;
  metrics: ConsumerMetrics;
  labels: { group: string };
  now: () => number;
}

/**
 * Registers the consumer's metrics in `registry`. The readiness gauge has no handler to set it: it asks
 * `isReady` when scraped, so /metrics and /readyz never disagree.
 */
function registerConsumerMetrics(
  registry: Registry,
  labels: { group: string },
  isReady: () => boolean,
): ConsumerMetrics {
  const lag = new Gauge({
    name: 'edusage_consumer_lag',
    help: 'Messages behind the partition end after the last batch (high watermark - last offset - 1). Not the committed position: in the aggregate, messages held to be stored with later batches (edusage_aggregate_messages_held) are already past it',
    labelNames: ['group', 'topic', 'partition'],
    registers: [registry],
  });
  const batches = new Counter({
    name: 'edusage_consumer_batches_total',
    help: 'Batches the consumer finished, by topic',
    labelNames: ['group', 'topic'],
    registers: [registry],
  });
  const messages = new Counter({
    name: 'edusage_consumer_messages_total',
    help: 'Messages in finished batches, by topic; a message fetched again after a seek back (the aggregate re-reads held or unfolded batches) counts again',
    labelNames: ['group', 'topic'],
    registers: [registry],
  });
  const crashes = new Counter({
    name: 'edusage_consumer_crashes_total',
    help: 'Consumer crashes (restart = whether kafkajs restarts the consumer)',
    labelNames: ['group', 'restart'],
    registers: [registry],
  });
  new Gauge({
    name: 'edusage_consumer_ready',
    help: '1 when the consumer is in its group and making progress (what /readyz reports)',
    labelNames: ['group'],
    registers: [registry],
    collect() {
      this.set(labels, isReady() ? 1 : 0);
    },
  });
  return { lag, batches, messages, crashes };
}

/** Group membership: joining (batches running before a rejoin are not waited for), heartbeats, stop, disconnect. */
function watchMembership({ consumer, state, now }: Watch): void {
  consumer.on(consumer.events.GROUP_JOIN, () => {
    state.joinedAt = state.lastHeartbeat = now();
    state.down = null;
    state.running.clear();
  });
  consumer.on(consumer.events.HEARTBEAT, () => {
    state.lastHeartbeat = now();
  });
  consumer.on(consumer.events.STOP, () => {
    state.down = 'consumer stopped';
  });
  consumer.on(consumer.events.DISCONNECT, () => {
    state.down = 'consumer disconnected';
  });
}

/** Crashes: counted, and not ready until the group is joined again; one kafkajs will not restart from is fatal. */
function watchCrashes({ consumer, state, metrics, labels }: Watch, onFatal: (err: Error) => void): void {
  consumer.on(consumer.events.CRASH, ({ payload }) => {
    metrics.crashes.inc({ ...labels, restart: String(payload.restart) });
    state.down = `consumer crashed: ${payload.error.message}${payload.restart ? ' (restarting)' : ''}`;
    state.running.clear();
    if (!payload.restart) onFatal(payload.error);
  });
}

/** Batches: which partitions have one running and since when, each partition's lag, the batch metrics. */
function watchBatches({ consumer, state, metrics, labels, now }: Watch): void {
  consumer.on(consumer.events.START_BATCH_PROCESS, ({ payload }) => {
    const tp = partitionKey(payload);
    state.running.set(tp, now());
    // The batch's own messages stay behind until it finishes.
    state.lagByPartition.set(tp, Number(payload.offsetLag) + payload.batchSize);
  });
  consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
    const tp = partitionKey(payload);
    state.running.delete(tp);
    state.lastBatchEnd = now();
    state.lagByPartition.set(tp, Number(payload.offsetLag));
    metrics.lag.set(
      { ...labels, topic: payload.topic, partition: String(payload.partition) },
      Number(payload.offsetLag),
    );
    metrics.batches.inc({ ...labels, topic: payload.topic });
    metrics.messages.inc({ ...labels, topic: payload.topic }, payload.batchSize);
  });
}

const partitionKey = (p: { topic: string; partition: number }): string => `${p.topic}/${p.partition}`;

type Readiness = ReturnType<ConsumerMonitor['check']>;
type ReadinessLimits = Pick<ConsumerMonitorOptions, 'sessionTimeoutMs' | 'stallTimeoutMs'>;

/** The answer for /readyz at `t`: ready unless there is a problem, with the total lag and when the group was joined. */
function readiness(state: ConsumerState, limits: ReadinessLimits, t: number): Readiness {
  // Each partition counts at least 0: one's negative lag must not offset another's.
  const totalLag = [...state.lagByPartition.values()].reduce((a, b) => a + Math.max(0, b), 0);
  const problem = firstProblem(state, limits, t, totalLag);
  return {
    ok: problem === null,
    detail: {
      ...(problem ? { problem } : {}),
      lag: totalLag,
      joined_at: state.joinedAt === null ? null : new Date(state.joinedAt).toISOString(),
    },
  };
}

/** Why the consumer is not ready at `t`, the first found of: out of its group, silent, stalled; null when none. */
function firstProblem(state: ConsumerState, limits: ReadinessLimits, t: number, totalLag: number): string | null {
  if (state.down !== null) return state.down;
  const silent = t - state.lastHeartbeat;
  if (silent > limits.sessionTimeoutMs)
    return `no heartbeat for ${silent} ms (session timeout ${limits.sessionTimeoutMs} ms)`;
  const longest = Math.max(0, ...[...state.running.values()].map((started) => t - started));
  if (longest > limits.stallTimeoutMs) return `a batch has been running for ${longest} ms`;
  const idle = t - state.lastBatchEnd;
  if (totalLag > 0 && idle > limits.stallTimeoutMs) return `lag ${totalLag} and no batch finished for ${idle} ms`;
  return null;
}
