import { Registry } from 'prom-client';
import { createLogger, type Logger } from '@edusage/logging';
import { startHealthServer, type HealthCheck, type HealthServer } from './health';

export interface RunningService {
  /** Stops taking work, finishes or abandons in-flight work safely, closes clients. */
  stop(): Promise<void>;
}

/** What `start` gets besides the config: where to register health checks and metrics, and how to fail. */
export interface ServiceContext {
  logger: Logger;
  /** Served on /metrics (with the process defaults); create the service's metrics in it. */
  registry: Registry;
  /** Adds a component to /readyz (e.g. the Kafka consumer). */
  registerHealthCheck(check: HealthCheck): void;
  /**
   * A fatal error while running (e.g. a consumer crash kafkajs will not restart from): stops
   * gracefully and exits 1, so a supervisor restarts the process instead of it idling silently.
   */
  fail(err: unknown, message: string): void;
}

export interface ServiceDefinition<C> {
  name: string;
  /** Step 1: parse configuration (throws ConfigError naming the variable). */
  loadConfig(): C;
  /** Steps 2 and 3: create clients and start running. */
  start(config: C, logger: Logger, ctx: ServiceContext): Promise<RunningService>;
  /** Port of /healthz, /readyz and /metrics (0 = any free port); undefined = the service serves its own. */
  httpPort?(config: C): number | undefined;
  /** How long a graceful stop may take before the process exits anyway. */
  shutdownTimeoutMs?: number;
}

/**
 * Every service starts the same way: config → clients → run → graceful shutdown on SIGTERM/SIGINT.
 * The signal handlers are installed before `start`: a signal during start-up lets `start` finish,
 * then stops what it started (exit code 0), instead of Node's default of dying by the signal.
 * A second signal, or a stop that outlives its timeout (counted from the first signal), exits at once
 * (exit code 1). With `httpPort`, it serves /healthz, /readyz (false while starting or stopping, or
 * when a registered check fails) and /metrics.
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

  const checks: HealthCheck[] = [];
  const registry = new Registry();
  let stopping = false;
  let running: RunningService | null = null;
  let http: HealthServer | null = null;
  let markStarted!: (service: RunningService) => void;
  const started = new Promise<RunningService>((resolve) => (markStarted = resolve));

  const shutdown = (reason: string, exitCode: 0 | 1) => {
    if (stopping) {
      logger.warn({ reason }, 'second stop request: exiting now');
      process.exit(1);
    }
    stopping = true;
    logger.info({ reason }, 'stopping');
    const timer = setTimeout(() => {
      logger.error('graceful stop timed out: exiting');
      process.exit(1);
    }, def.shutdownTimeoutMs ?? 30_000);
    timer.unref();
    // Still starting: wait for `start` (bounded by the timer above), then stop what it started.
    started
      .then((service) => service.stop())
      .then(async () => {
        await http?.close();
        logger.info('stopped');
        process.exit(exitCode);
      })
      .catch((err: unknown) => {
        logger.error({ err }, 'error while stopping');
        process.exit(1);
      });
  };

  const ctx: ServiceContext = {
    logger,
    registry,
    registerHealthCheck: (check) => checks.push(check),
    fail: (err, message) => {
      logger.fatal({ err }, message);
      if (stopping) return; // already on the way out
      shutdown(`fatal: ${message}`, 1);
    },
  };

  process.on('SIGTERM', () => shutdown('SIGTERM', 0));
  process.on('SIGINT', () => shutdown('SIGINT', 0));

  try {
    const port = def.httpPort?.(config);
    if (port !== undefined) {
      http = await startHealthServer({
        port,
        checks: () => checks,
        registry,
        phase: () => (stopping ? 'stopping' : running ? 'running' : 'starting'),
      });
      logger.info({ port: http.port }, 'health and metrics server listening');
    }
    running = await def.start(config, logger, ctx);
  } catch (err) {
    logger.fatal({ err }, 'failed to start');
    process.exit(1);
  }
  logger.info(stopping ? 'started, stopping as asked during start-up' : 'started');
  markStarted(running);
}
