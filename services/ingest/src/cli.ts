#!/usr/bin/env node
import { Command, InvalidArgumentError } from 'commander';
import pino from 'pino';
import type { Logger } from '@edusage/logging';
import { registerDlqCommands } from './dlq/commands';
import { registerImportCommand } from './import-command';
import { registerKeyCommands } from './key-commands';

/**
 * edusage ingest command line (configuration from the same environment variables as the service):
 *   keys create --district d1 --source agent --name "Lab agents"   prints the new key once
 *   keys list [--json]                                            ids, districts, sources, names
 *   keys revoke <id|key>                                          id = prefix shown by list
 *   import --district d1 --source proxy --format squid <file>     streams a file into usage.raw
 *   import --district d1 --source import --format schoology-activities <file>   (vendor exports:
 *     schoology-activities, edfi-system-activities, edfi-section-activities, google-classroom-usage)
 *   dlq summary [filters]                                         dead letters by stage, source, reason
 *   dlq replay [filters] [--dry-run] [--again]                              re-sends dead letters that now pass
 */
export function buildCli(): Command {
  const program = new Command('edusage-ingest').description('edusage ingest: API keys and file import');
  program.showHelpAfterError();
  // Quiet by default (the progress display and the summaries are the output); LOG_LEVEL overrides.
  const deps = { parseDate: isoDate, logger: () => stderrLogger(process.env.LOG_LEVEL ?? 'error') };
  registerKeyCommands(program);
  registerImportCommand(program, deps);
  registerDlqCommands(program, deps);
  return program;
}

/**
 * The CLI logs to stderr (kafkajs warnings and errors included), so stdout carries only what the
 * command prints: the new key, the list, the summary (`--json` stays parseable).
 */
function stderrLogger(level: string): Logger {
  return pino({ name: 'ingest-cli', level, base: { service: 'ingest-cli' } }, pino.destination(2));
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
