import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from './services';

const run = promisify(execFile);

/** Runs one of the services' command-line tools (compiled) and returns its stdout; throws with stderr on failure. */
export async function runServiceCli(
  service: 'ingest' | 'enrich' | 'api',
  args: string[],
  env: Record<string, string | undefined>,
): Promise<string> {
  const cli = path.join(REPO_ROOT, 'services', service, 'dist', 'cli.js');
  try {
    const { stdout } = await run(process.execPath, [cli, ...args], {
      env: { ...process.env, ...env },
      maxBuffer: 64 * 1024 * 1024,
    });
    return stdout;
  } catch (err) {
    const e = err as Error & { stderr?: string; stdout?: string };
    throw new Error(`${service} ${args.slice(0, 2).join(' ')} failed: ${e.stderr || e.stdout || e.message}`, {
      cause: err,
    });
  }
}
