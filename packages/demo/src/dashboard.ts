import { createWriteStream } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { runServiceCli } from './cli-run';
import { say } from './output';
import { startService } from './services';

/**
 * An admin API token of the sample district, created with the API's own command-line tool as an
 * operator would (`edusage-api tokens create`), in the demo's Redis keyspace (reset at the next run).
 */
export async function createDemoApiToken(env: Record<string, string>, districtId: string): Promise<string> {
  const out = await runServiceCli(
    'api',
    ['tokens', 'create', '--district', districtId, '--role', 'admin', '--name', 'demo'],
    env,
  );
  // The tool prints what it created, then the token alone on its last line.
  const token = out.trim().split('\n').pop()?.trim() ?? '';
  if (!/^\S{20,}$/.test(token)) throw new Error(`edusage-api tokens create printed no token: ${out}`);
  return token;
}

/** Where the API listens: its API_HOST/API_PORT, with the API's defaults (services/api/src/config.ts). */
export function apiBaseUrl(env: Record<string, string | undefined>): string {
  return `http://${env.API_HOST ?? '127.0.0.1'}:${env.API_PORT ?? '8084'}`;
}

/**
 * Ends the demo with the dashboard's address and a token to sign in with. With `serve`, the API (and
 * its dashboard) runs as a child process on the demo data until Ctrl-C; otherwise the command that
 * starts it is shown.
 */
export async function dashboard(
  env: Record<string, string>,
  logDir: string,
  token: string,
  period: { from: string; to: string },
  serve: boolean,
  /** When serving stops: Ctrl-C or SIGTERM (a test passes its own). */
  until?: Promise<unknown>,
): Promise<void> {
  const baseUrl = apiBaseUrl(env);
  const show = () => {
    say('');
    say(`Dashboard: ${baseUrl}/dashboard/overview?from=${period.from}&to=${period.to}`);
    say(`  sign in with the token: ${token}`);
  };
  if (!serve) {
    show();
    say('  (after starting the API with the command above; `scripts/demo --serve` keeps it running for you)');
    return;
  }
  const logFile = path.join(logDir, 'api.log');
  const log = createWriteStream(logFile, { flags: 'a' });
  let lastLine = '';
  const api = startService(
    'api',
    { ...env, LOG_LEVEL: 'warn' },
    {
      onLine: (line) => {
        lastLine = line;
        log.write(line + '\n');
      },
    },
  );
  try {
    const failure = await waitUntilReady(baseUrl, api.child, 60_000);
    if (failure) {
      say(
        `\nThe API could not start here (${failure}${reasonIn(lastLine)}; log: ${logFile}); start it with the command above.`,
      );
      return show();
    }
    show();
    say('  serving until Ctrl-C');
    await (until ?? stopSignal());
  } finally {
    await api.stop();
    log.end();
  }
}

function stopSignal(): Promise<void> {
  return new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
}

/** Resolves with nothing once the API answers /readyz, or with why it will not (exited, timed out). */
async function waitUntilReady(
  baseUrl: string,
  child: { exitCode: number | null; signalCode: NodeJS.Signals | null },
  timeoutMs: number,
): Promise<string | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null)
      return `it exited with ${child.exitCode ?? child.signalCode}`;
    // A bounded wait: something else on the port may accept the connection and never answer.
    const ready = await fetch(`${baseUrl}/readyz`, { signal: AbortSignal.timeout(2000) })
      .then((r) => r.ok)
      .catch(() => false);
    if (ready) return undefined;
    if (Date.now() > deadline) return `not ready after ${timeoutMs / 1000} s`;
    await sleep(300);
  }
}

/** The error a service logged last (its JSON log line's err.message or msg), as ": …". */
function reasonIn(line: string): string {
  try {
    const parsed = JSON.parse(line) as { msg?: string; err?: { message?: string } };
    const reason = parsed.err?.message ?? parsed.msg;
    return reason ? `: ${reason}` : '';
  } catch {
    return '';
  }
}
