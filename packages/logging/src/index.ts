import pino, { type Logger } from 'pino';

export type { Logger };

/**
 * One logger per service. Structured JSON on stdout; secrets are redacted by path so a config
 * object logged by mistake never prints keys.
 */
export function createLogger(service: string, level: string = process.env.LOG_LEVEL ?? 'info'): Logger {
  return pino({
    name: service,
    level,
    base: { service },
    redact: {
      paths: [
        '*.password',
        '*.PSEUDONYM_KEY',
        '*.CLICKHOUSE_PASSWORD',
        // May carry the Redis password (redis://:<password>@host).
        '*.REDIS_URL',
        '*.apiKey',
        '*.authorization',
        'req.headers.authorization',
        'req.headers["x-api-key"]',
      ],
      censor: '[redacted]',
    },
  });
}
