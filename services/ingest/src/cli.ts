#!/usr/bin/env node
import { Command, InvalidArgumentError, Option } from 'commander';
import { SOURCES, type Source } from '@edusage/contracts';
import { topicNames, topicReplication } from '@edusage/config';
import { createKafka, createProducer, ensureTopics } from '@edusage/kafka';
import pino from 'pino';
import type { Logger } from '@edusage/logging';
import { retryWithBackoff } from '@edusage/runtime';
import { ApiKeyStore } from './apikeys';
import { createRedis } from './app';
import { loadIngestConfig } from './config';
import { IMPORT_FORMATS, CSV_COLUMNS, runImport, type ImportFormat, type ImportSummary } from './import';
import { KafkaSink, MessageTooLargeError, readSinkLimits, type EventSink } from './sink';
import { registerDlqCommands } from './dlq/commands';
import type { ProgressMode } from './progress';

/**
 * edusage ingest command line (configuration from the same environment variables as the service):
 *   keys create --district d1 --source agent --name "Lab agents"   prints the new key once
 *   keys list [--json]                                            ids, districts, sources, names
 *   keys revoke <id|key>                                          id = prefix shown by list
 *   import --district d1 --source proxy --format squid <file>     streams a file into usage.raw
 *   import --district d1 --source import --format schoology-activities <file>   (vendor exports:
 *     schoology-activities, edfi-system-activities, edfi-section-activities, google-classroom-usage)
 *   dlq summary [filters]                                         dead letters by stage, source, reason
 *   dlq replay [filters] [--dry-run]                              re-sends dead letters that now pass
 */
export function buildCli(): Command {
  const program = new Command('edusage-ingest').description('edusage ingest: API keys and file import');
  program.showHelpAfterError();

  const keys = program.command('keys').description('manage per-source API keys (stored hashed in Redis)');
  keys
    .command('create')
    .description('create a key; it is printed once and only its sha256 is stored')
    .requiredOption('--district <id>', 'district the key writes for')
    .addOption(
      new Option('--source <source>', 'source of the events sent with the key').choices(SOURCES).makeOptionMandatory(),
    )
    .requiredOption('--name <name>', 'what the key is for (shown by keys list)')
    .option('--json', 'print JSON {key, id, district_id, source, name, created_at}')
    .action(async (o: { district: string; source: Source; name: string; json?: boolean }) => {
      await withKeyStore(async (store) => {
        const { key, entry } = await store.create({ districtId: o.district, source: o.source, name: o.name });
        if (o.json) {
          process.stdout.write(
            `${JSON.stringify({ key, id: entry.id, district_id: entry.district_id, source: entry.source, name: entry.name, created_at: entry.created_at })}\n`,
          );
        } else {
          process.stdout.write(`${key}\n`);
          process.stderr.write(
            `created key ${entry.id} for district ${entry.district_id}, source ${entry.source} ("${entry.name}").\n` +
              'The key above is shown only this once; store it now (only its hash is kept).\n',
          );
        }
      });
    });
  keys
    .command('list')
    .description('list keys (never the keys themselves: id = first 12 hex digits of their hash)')
    .option('--json', 'print a JSON array')
    .action(async (o: { json?: boolean }) => {
      await withKeyStore(async (store) => {
        const entries = await store.list();
        if (o.json) {
          process.stdout.write(`${JSON.stringify(entries.map(({ hash: _hash, ...e }) => e))}\n`);
          return;
        }
        if (entries.length === 0) process.stdout.write('no keys\n');
        for (const e of entries)
          process.stdout.write(`${e.id}  ${e.district_id}  ${e.source}  ${e.created_at}  ${e.name}\n`);
      });
    });
  keys
    .command('revoke')
    .description('remove a key (running servers may accept it for up to INGEST_KEY_CACHE_MS more)')
    .argument('<id-or-key>', 'the id shown by keys list (8+ hex digits), or the key itself')
    .action(async (idOrKey: string) => {
      await withKeyStore(async (store) => {
        const removed = await store.revoke(idOrKey);
        if (removed.length === 0) {
          process.stderr.write(`no key matches ${idOrKey}\n`);
          process.exitCode = 1;
          return;
        }
        for (const e of removed) process.stdout.write(`revoked ${e.id} (${e.district_id}, ${e.source}, "${e.name}")\n`);
      });
    });

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
      isoDate,
    )
    .addOption(
      new Option('--progress <mode>', 'progress display (auto: bar on a terminal, lines otherwise)')
        .choices(['auto', 'bar', 'lines', 'none'])
        .default('auto'),
    )
    .option('--progress-interval <ms>', 'interval of plain progress lines', positiveInt, 5_000)
    .option('--json', 'print the summary as JSON')
    .action(
      async (
        file: string,
        o: {
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
        },
      ) => {
        const config = loadIngestConfig();
        // Quiet by default (the progress display and the summary are the output); LOG_LEVEL overrides.
        const logger = stderrLogger(process.env.LOG_LEVEL ?? 'error');
        const topics = topicNames(config.KAFKA_TOPIC_PREFIX);
        const kafka = createKafka(config, logger);
        await ensureTopics(kafka, [topics.raw, topics.dlq], config.KAFKA_PARTITIONS, topicReplication(config));
        const limits = await readSinkLimits(kafka, topics);
        const producer = await createProducer(kafka);
        const kafkaSink = new KafkaSink(producer, topics, { limits });
        // kafkajs already retries each send; a batch that still fails is retried a few more times
        // before the import gives up (exit 1). Re-sent batches are harmless: ids are deterministic.
        const sink: EventSink = {
          send: (batch) =>
            retryWithBackoff(() => kafkaSink.send(batch), {
              maxAttempts: 4,
              initialMs: 1_000,
              // A message over the broker's limit fails the same way every time.
              isRetryable: (err) => !(err instanceof MessageTooLargeError),
              onRetry: (err, attempt) =>
                logger.warn({ err: (err as Error).message, attempt }, 'kafka send failed; retrying'),
            }),
        };
        try {
          const summary = await runImport(
            {
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
            },
            sink,
          );
          process.stdout.write(o.json ? `${JSON.stringify(summary)}\n` : formatSummary(summary));
        } finally {
          await producer.disconnect().catch(() => undefined);
        }
      },
    );
  registerDlqCommands(program, {
    parseDate: isoDate,
    logger: () => stderrLogger(process.env.LOG_LEVEL ?? 'error'),
  });
  return program;
}

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

async function withKeyStore(fn: (store: ApiKeyStore) => Promise<void>): Promise<void> {
  const config = loadIngestConfig();
  const redis = createRedis(config);
  try {
    await fn(new ApiKeyStore(redis, config.REDIS_KEY_PREFIX, 0));
  } finally {
    await redis.quit().catch(() => redis.disconnect());
  }
}

/**
 * The CLI logs to stderr (kafkajs warnings and errors included), so stdout carries only what the
 * command prints: the new key, the list, the summary (`--json` stays parseable).
 */
function stderrLogger(level: string): Logger {
  return pino({ name: 'ingest-cli', level, base: { service: 'ingest-cli' } }, pino.destination(2));
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('must be a positive integer');
  return n;
}

function isoDate(value: string): Date {
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) throw new InvalidArgumentError('must be an ISO 8601 date-time');
  return d;
}

if (require.main === module) {
  buildCli()
    .parseAsync(process.argv)
    .catch((err: unknown) => {
      process.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 1;
    });
}
