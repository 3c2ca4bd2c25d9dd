import { createLogger, type Logger } from '@edusage/logging';

export interface RunningService {
  /** Stops taking work, finishes or abandons in-flight work safely, closes clients. */
  stop(): Promise<void>;
}

export interface ServiceDefinition<C> {
  name: string;
  /** Step 1: parse configuration (throws ConfigError naming the variable). */
  loadConfig(): C;
  /** Steps 2 and 3: create clients and start running. */
  start(config: C, logger: Logger): Promise<RunningService>;
  /** How long a graceful stop may take before the process exits anyway. */
  shutdownTimeoutMs?: number;
}

/**
 * Every service starts the same way: config → clients → run → graceful shutdown on SIGTERM/SIGINT.
 * A second signal, or a stop that outlives its timeout, exits at once (exit code 1).
 */
export async function runService<C>(def: ServiceDefinition<C>): Promise<void> {
  const logger = createLogger(def.name);
  let config: C;
  try {
    config = def.loadConfig();
  } catch (err) {
    logger.fatal({ err }, 'configuration rejected');
    process.exitCode = 78; // EX_CONFIG
    return;
  }
  let running: RunningService;
  try {
    running = await def.start(config, logger);
  } catch (err) {
    logger.fatal({ err }, 'failed to start');
    process.exit(1);
  }
  logger.info('started');

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal }, 'stopping');
    const timer = setTimeout(() => {
      logger.error('graceful stop timed out: exiting');
      process.exit(1);
    }, def.shutdownTimeoutMs ?? 30_000);
    timer.unref();
    running
      .stop()
      .then(() => {
        logger.info('stopped');
        process.exit(0);
      })
      .catch((err: unknown) => {
        logger.error({ err }, 'error while stopping');
        process.exit(1);
      });
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}
