import path from 'node:path';
import { Command } from 'commander';
import { REPO_ROOT } from './services';

/** The demo's command-line options, as commander gives them (numbers still as text). */
export interface DemoOptions {
  seed: string;
  district: string;
  days: string;
  schools: string;
  out: string;
  /** --serve / --no-serve; absent when neither was given. */
  serve?: boolean;
}

/** Parses the command line (commander prints --help, or the error, and exits on its own). */
export function parseDemoOptions(): DemoOptions {
  const program = new Command()
    .name('edusage-demo')
    .description('Runs the whole pipeline on a generated sample district and prints its utilization reports')
    .option('--seed <n>', 'generator seed', '42')
    .option('--district <id>', 'district id', 'd1')
    .option('--days <n>', 'days of events', '5')
    .option('--schools <n>', 'schools', '3')
    .option('--out <dir>', 'where the sample files and service logs go', path.join(REPO_ROOT, '.local', 'demo'))
    .option(
      '--serve',
      'keep serving the API and dashboard on the demo data until Ctrl-C (default on a terminal outside CI)',
    )
    .option(
      '--no-serve',
      'print the dashboard address and token, then exit (default in CI and when output is not a terminal)',
    )
    .parse();
  return program.opts<DemoOptions>();
}

/** Whether to serve the dashboard at the end: as asked, or else by where the output goes. */
export function shouldServe(opts: DemoOptions): boolean {
  // Serving blocks until Ctrl-C: only where someone is watching, never in CI or a test's pipe.
  return opts.serve ?? (process.stdout.isTTY === true && !process.env.CI);
}
