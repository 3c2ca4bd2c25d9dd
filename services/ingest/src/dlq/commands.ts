import { Option, type Command } from 'commander';
import { topicNames } from '@edusage/config';
import { createKafka, createProducer, type Kafka } from '@edusage/kafka';
import { atMostEvery } from '@edusage/runtime';
import type { Logger } from '@edusage/logging';
import { loadIngestConfig } from '../config';
import type { DeadLetterFilter } from './filter';
import { replayDeadLetters, summarizeDeadLetters, type ReplaySummary } from './replay';
import { REPLAY_FORMATS, type ReplayFormat } from './replay-letter';

interface FilterFlags {
  district?: string;
  stage?: string[];
  source?: string[];
  reason?: string[];
  since?: Date;
  until?: Date;
}

/**
 * `dlq summary` and `dlq replay`: what is on usage.dlq, and re-sending what now passes.
 * `parseDate` and `logger` come from the CLI so every command checks and logs the same way.
 */
export function registerDlqCommands(
  program: Command,
  deps: { parseDate: (value: string) => Date; logger: () => Logger },
): void {
  const dlq = program.command('dlq').description('dead letters on usage.dlq: counts, and replay after a fix');
  const withFilter = (cmd: Command) =>
    cmd
      .option('--district <id>', 'only letters of this district')
      .option('--stage <stage...>', 'only these stages (ingest, import, enrich, aggregate)')
      .option('--source <source...>', 'only these sources (agent, caliper, xapi, proxy, …)')
      .option('--reason <code...>', 'only these reason codes (e.g. unsupported_event invalid_field)')
      .option('--since <iso>', 'only letters that failed at or after this time', deps.parseDate)
      .option('--until <iso>', 'only letters that failed before this time', deps.parseDate);

  withFilter(dlq.command('summary').description('count dead letters by stage, source and reason'))
    .option('--json', 'print JSON')
    .action(async (o: FilterFlags & { json?: boolean }) => {
      await withKafka(deps.logger(), async (kafka, topics) => {
        const rows = await summarizeDeadLetters(kafka, topics.dlq, toFilter(o));
        if (o.json) process.stdout.write(`${JSON.stringify(rows)}\n`);
        else if (rows.length === 0) process.stdout.write('no dead letters match\n');
        else for (const r of rows) process.stdout.write(`${r.count}\t${r.stage}\t${r.source}\t${r.reason}\n`);
      });
    });

  withFilter(
    dlq
      .command('replay')
      .description(
        're-run selected dead letters through today’s adapters and re-send what passes, each input once (same event ids, so a second replay changes nothing); inputs a stage refused again after an earlier replay are skipped',
      ),
  )
    .addOption(
      new Option(
        '--format <format>',
        'read every selected payload as this format (letters without input_format)',
      ).choices(REPLAY_FORMATS),
    )
    .option('--ip-as-device', 'squid: a line without a user becomes an event of its client IP')
    .option('--dry-run', 'count what would be re-sent; send nothing')
    .option(
      '--again',
      'also re-send inputs that came back refused from an earlier replay (after fixing enrich or the aggregate)',
    )
    .option('--json', 'print the summary as JSON')
    .action(
      async (
        o: FilterFlags & {
          format?: ReplayFormat;
          ipAsDevice?: boolean;
          dryRun?: boolean;
          again?: boolean;
          json?: boolean;
        },
      ) => {
        await withKafka(deps.logger(), async (kafka, topics) => {
          const producer = o.dryRun ? undefined : await createProducer(kafka);
          try {
            const summary = await replayDeadLetters({
              kafka,
              ...(producer ? { producer } : {}),
              topics,
              filter: toFilter(o),
              options: { ...(o.format ? { format: o.format } : {}), ipAsDevice: o.ipAsDevice ?? false },
              dryRun: o.dryRun ?? false,
              again: o.again ?? false,
              onProgress: atMostEvery<ReplaySummary>(2_000, (s) =>
                process.stderr.write(
                  `progress: ${s.read} letters read, ${s.selected} selected, ${s.events} events re-sent\n`,
                ),
              ),
            });
            process.stdout.write(o.json ? `${JSON.stringify(summary)}\n` : formatReplaySummary(summary));
          } finally {
            await producer?.disconnect().catch(() => undefined);
          }
        });
      },
    );
}

export function formatReplaySummary(s: ReplaySummary): string {
  const byCount = (counts: Record<string, number>) =>
    Object.entries(counts)
      .sort((a, b) => b[1] - a[1])
      .map(([k, n]) => `    ${k}: ${n}`);
  const lines = [
    `${s.dryRun ? 'dry run: ' : ''}read ${s.read} records from the dead-letter topic`,
    `  selected:        ${s.selected}`,
    `  ${s.dryRun ? 'would replay:   ' : 'replayed:       '} ${s.replayed} (${s.events} events${s.skipped ? `, ${s.skipped} skipped as no usage` : ''})`,
    `  duplicates:      ${s.duplicates} (copies of an input sent earlier in this run)`,
    `  already replayed: ${s.alreadyReplayed} (refused again after an earlier replay: --again re-sends them)`,
    `  still rejected:  ${Object.values(s.stillRejected).reduce((a, b) => a + b, 0)}`,
    ...byCount(s.stillRejected),
    `  not replayable:  ${Object.values(s.notReplayable).reduce((a, b) => a + b, 0)}`,
    ...byCount(s.notReplayable),
  ];
  if (s.unreadable > 0) lines.push(`  not dead letters: ${s.unreadable}`);
  return `${lines.join('\n')}\n`;
}

function toFilter(o: FilterFlags): DeadLetterFilter {
  return {
    ...(o.district !== undefined ? { districtId: o.district } : {}),
    ...(o.stage ? { stages: o.stage } : {}),
    ...(o.source ? { sources: o.source } : {}),
    ...(o.reason ? { reasons: o.reason } : {}),
    ...(o.since ? { since: o.since } : {}),
    ...(o.until ? { until: o.until } : {}),
  };
}

async function withKafka(
  logger: Logger,
  fn: (kafka: Kafka, topics: { raw: string; enriched: string; dlq: string }) => Promise<void>,
): Promise<void> {
  const config = loadIngestConfig();
  const topics = topicNames(config.KAFKA_TOPIC_PREFIX);
  await fn(createKafka(config, logger), topics);
}
