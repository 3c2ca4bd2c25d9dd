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
  const lag = new Gauge({
    name: 'edusage_consumer_lag',
    help: 'Messages behind the partition end after the last batch (high watermark - last offset - 1). Not the committed position: in the aggregate, messages held to be stored with later batches (edusage_aggregate_messages_held) are already past it',
    labelNames: ['group', 'topic', 'partition'],
    registers: [opts.registry],
  });
  const batches = new Counter({
    name: 'edusage_consumer_batches_total',
    help: 'Batches the consumer finished, by topic',
    labelNames: ['group', 'topic'],
    registers: [opts.registry],
  });
  const messages = new Counter({
    name: 'edusage_consumer_messages_total',
    help: 'Messages in finished batches, by topic; a message fetched again after a seek back (the aggregate re-reads held or unfolded batches) counts again',
    labelNames: ['group', 'topic'],
    registers: [opts.registry],
  });
  const crashes = new Counter({
    name: 'edusage_consumer_crashes_total',
    help: 'Consumer crashes (restart = whether kafkajs restarts the consumer)',
    labelNames: ['group', 'restart'],
    registers: [opts.registry],
  });
  const ready = new Gauge({
    name: 'edusage_consumer_ready',
    help: '1 when the consumer is in its group and making progress (what /readyz reports)',
    labelNames: ['group'],
    registers: [opts.registry],
    collect() {
      this.set(labels, evaluate().ok ? 1 : 0);
    },
  });
  void ready;

  let joinedAt: number | null = null;
  let lastHeartbeat = 0;
  let lastBatchEnd = now();
  let down: string | null = 'not joined yet';
  const running = new Map<string, number>(); // "topic/partition" → batch start
  const lagByPartition = new Map<string, number>();

  const { GROUP_JOIN, HEARTBEAT, CRASH, STOP, DISCONNECT, START_BATCH_PROCESS, END_BATCH_PROCESS } = consumer.events;
  consumer.on(GROUP_JOIN, () => {
    joinedAt = lastHeartbeat = now();
    down = null;
    running.clear();
  });
  consumer.on(HEARTBEAT, () => {
    lastHeartbeat = now();
  });
  consumer.on(STOP, () => {
    down = 'consumer stopped';
  });
  consumer.on(DISCONNECT, () => {
    down = 'consumer disconnected';
  });
  consumer.on(CRASH, ({ payload }) => {
    crashes.inc({ ...labels, restart: String(payload.restart) });
    down = `consumer crashed: ${payload.error.message}${payload.restart ? ' (restarting)' : ''}`;
    running.clear();
    if (!payload.restart) opts.onFatal(payload.error);
  });
  consumer.on(START_BATCH_PROCESS, ({ payload }) => {
    const tp = `${payload.topic}/${payload.partition}`;
    running.set(tp, now());
    lagByPartition.set(tp, Number(payload.offsetLag) + payload.batchSize);
  });
  consumer.on(END_BATCH_PROCESS, ({ payload }) => {
    const tp = `${payload.topic}/${payload.partition}`;
    running.delete(tp);
    lastBatchEnd = now();
    lagByPartition.set(tp, Number(payload.offsetLag));
    lag.set({ ...labels, topic: payload.topic, partition: String(payload.partition) }, Number(payload.offsetLag));
    batches.inc({ ...labels, topic: payload.topic });
    messages.inc({ ...labels, topic: payload.topic }, payload.batchSize);
  });

  function evaluate(): { ok: boolean; detail: Record<string, unknown> } {
    const t = now();
    const totalLag = [...lagByPartition.values()].reduce((a, b) => a + Math.max(0, b), 0);
    const longest = Math.max(0, ...[...running.values()].map((started) => t - started));
    let problem = down;
    if (!problem && t - lastHeartbeat > opts.sessionTimeoutMs)
      problem = `no heartbeat for ${t - lastHeartbeat} ms (session timeout ${opts.sessionTimeoutMs} ms)`;
    if (!problem && longest > opts.stallTimeoutMs) problem = `a batch has been running for ${longest} ms`;
    if (!problem && totalLag > 0 && t - lastBatchEnd > opts.stallTimeoutMs)
      problem = `lag ${totalLag} and no batch finished for ${t - lastBatchEnd} ms`;
    return {
      ok: problem === null,
      detail: {
        ...(problem ? { problem } : {}),
        lag: totalLag,
        joined_at: joinedAt === null ? null : new Date(joinedAt).toISOString(),
      },
    };
  }

  return { id: `consumer:${opts.group}`, check: evaluate };
}
