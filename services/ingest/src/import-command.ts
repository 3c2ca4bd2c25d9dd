import { InvalidArgumentError, Option, type Command } from 'commander';
import type { Producer } from 'kafkajs';
import { SOURCES, type Source } from '@edusage/contracts';
import { topicNames, topicReplication } from '@edusage/config';
import { createKafka, createProducer, ensureTopics } from '@edusage/kafka';
import type { Logger } from '@edusage/logging';
import { retryWithBackoff } from '@edusage/runtime';
import { loadIngestConfig, type IngestConfig } from './config';
import {
  IMPORT_FORMATS,
  CSV_COLUMNS,
  runImport,
  type ImportFormat,
  type ImportOptions,
  type ImportSummary,
} from './import';
import { KafkaSink, MessageTooLargeError, readSinkLimits, type EventSink } from './sink';
import type { ProgressMode } from './progress';

interface ImportFlags {
  district: string;
  source: Source;
  format: ImportFormat;
  batchSize: number;
  ipAsDevice?: boolean;
  edfiUsers?: string[];
  referenceTime?: Date;
  progress: ProgressMode;
  progressInterval: number;
  json?: boolean;
}

/**
 * `import`: streams a file into usage.raw and usage.dlq, then prints its summary. `parseDate` and
 * `logger` come from the CLI so every command checks and logs the same way.
 */
export function registerImportCommand(
  program: Command,
  deps: { parseDate: (value: string) => Date; logger: () => Logger },
): void {
  program
    .command('import')
    .description('stream a file of events into Kafka (usage.raw; rejected lines to usage.dlq)')
    .argument('<file>', 'the file to import')
    .requiredOption('--district <id>', 'district of every event in the file')
    .addOption(new Option('--source <source>', 'source of the events').choices(SOURCES).makeOptionMandatory())
    .addOption(
      new Option('--format <format>', `file format; csv header: ${CSV_COLUMNS.join(',')}`)
        .choices(IMPORT_FORMATS)
        .makeOptionMandatory(),
    )
    .option(
      '--ip-as-device',
      'squid: use the client IP as device_id when a line has no user (default: such lines are rejected)',
    )
    .option(
      '--edfi-users <file>',
      'edfi-*-activities: an Ed-Fi unified users CSV mapping LMS user ids to roster ids (repeatable, oldest first)',
      (file: string, previous: string[] = []) => [...previous, file],
    )
    .option('--batch-size <n>', 'messages per Kafka batch', positiveInt, 2_000)
    .option(
      '--reference-time <iso>',
      'clock for the occurred_at bounds (default now), to import logs older than 5 years',
      deps.parseDate,
    )
    .addOption(
      new Option('--progress <mode>', 'progress display (auto: bar on a terminal, lines otherwise)')
        .choices(['auto', 'bar', 'lines', 'none'])
        .default('auto'),
    )
    .option('--progress-interval <ms>', 'interval of plain progress lines', positiveInt, 5_000)
    .option('--json', 'print the summary as JSON')
    .action((file: string, o: ImportFlags) => importFile(file, o, deps.logger));
}

/** Imports the file through a retrying Kafka sink and prints the summary; the producer is always closed. */
async function importFile(file: string, o: ImportFlags, logger: () => Logger): Promise<void> {
  const config = loadIngestConfig();
  const { producer, sink } = await connectSink(config, logger());
  try {
    const summary = await runImport(importOptions(file, o), sink);
    process.stdout.write(o.json ? `${JSON.stringify(summary)}\n` : formatSummary(summary));
  } finally {
    await producer.disconnect().catch(() => undefined);
  }
}

/** Creates the topics if needed, reads their size limits and connects the producer behind the sink. */
async function connectSink(config: IngestConfig, logger: Logger): Promise<{ producer: Producer; sink: EventSink }> {
  const topics = topicNames(config.KAFKA_TOPIC_PREFIX);
  const kafka = createKafka(config, logger);
  await ensureTopics(kafka, [topics.raw, topics.dlq], config.KAFKA_PARTITIONS, topicReplication(config));
  const limits = await readSinkLimits(kafka, topics);
  const producer = await createProducer(kafka);
  return { producer, sink: withSendRetries(new KafkaSink(producer, topics, { limits }), logger) };
}

/**
 * kafkajs already retries each send; a batch that still fails is retried a few more times
 * before the import gives up (exit 1). Re-sent batches are harmless: ids are deterministic.
 */
function withSendRetries(kafkaSink: KafkaSink, logger: Logger): EventSink {
  return {
    // The topic's limit, so a line over it becomes its own payload_too_large dead letter instead of
    // failing the whole import.
    maxRecordBytes: kafkaSink.maxRecordBytes,
    send: (batch) =>
      retryWithBackoff(() => kafkaSink.send(batch), {
        maxAttempts: 4,
        initialMs: 1_000,
        // A message over the broker's limit fails the same way every time.
        isRetryable: (err) => !(err instanceof MessageTooLargeError),
        onRetry: (err, attempt) => logger.warn({ err: (err as Error).message, attempt }, 'kafka send failed; retrying'),
      }),
  };
}

/** The command's flags as runImport's options. */
function importOptions(file: string, o: ImportFlags): ImportOptions {
  return {
    file,
    format: o.format,
    districtId: o.district,
    source: o.source,
    batchSize: o.batchSize,
    ipAsDevice: o.ipAsDevice ?? false,
    ...(o.edfiUsers ? { edfiUsers: o.edfiUsers } : {}),
    progress: o.progress,
    progressIntervalMs: o.progressInterval,
    ...(o.referenceTime ? { referenceTime: o.referenceTime } : {}),
  };
}

/** The summary as text: the counts, then each reason's count, most frequent first. */
export function formatSummary(s: ImportSummary): string {
  const lines = [
    `imported ${s.file} (${s.format}) in ${(s.durationMs / 1000).toFixed(1)} s`,
    `  lines read: ${s.lines}`,
    `  accepted:   ${s.accepted}`,
    `  rejected:   ${s.rejected}`,
    ...Object.entries(s.rejectedByReason)
      .sort((a, b) => b[1] - a[1])
      .map(([code, n]) => `    ${code}: ${n}`),
    `  skipped:    ${s.skipped}${s.skipped > 0 ? ' (valid, but no usage)' : ''}`,
    ...Object.entries(s.skippedByReason)
      .sort((a, b) => b[1] - a[1])
      .map(([code, n]) => `    ${code}: ${n}`),
  ];
  if (s.rejected > 0) lines.push('  rejected lines are in usage.dlq with their line numbers');
  return `${lines.join('\n')}\n`;
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('must be a positive integer');
  return n;
}
