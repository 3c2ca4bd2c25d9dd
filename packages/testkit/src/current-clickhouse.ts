import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import type { ClickHouseClient } from '@edusage/clickhouse';
import { repoRoot } from './paths';

/** The Python of the venv that scripts/bootstrap makes with chdb (a current ClickHouse engine). */
export function chdbPython(): string {
  return path.join(repoRoot(), '.local', 'chdb-venv', 'bin', 'python');
}

export interface CurrentClickHouse {
  /** The subset of the @clickhouse/client API the project's code uses: query, command, insert, close. */
  client: ClickHouseClient;
  /** The engine's version, e.g. 26.9.2.1. */
  version(): Promise<string>;
  close(): Promise<void>;
}

/**
 * A current ClickHouse engine (chdb) behind the client interface the project's code takes, so the same
 * migrations, derivations and report queries that run on the local 18.16 server are run on it too. The
 * engine is real ClickHouse; only the transport differs (a Python process instead of HTTP).
 */
export async function startCurrentClickHouse(database: string): Promise<CurrentClickHouse> {
  const python = chdbPython();
  if (!existsSync(python)) throw new Error(`chdb is not installed (${python}); run scripts/bootstrap`);
  const dir = mkdtempSync(path.join(tmpdir(), 'chdb-'));
  const bridge = path.join(repoRoot(), 'infra', 'clickhouse', 'chdb-bridge.py');
  const child: ChildProcessWithoutNullStreams = spawn(python, [bridge, dir, database], { stdio: 'pipe' });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const answers = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  let queue = Promise.resolve();

  const run = (sql: string): Promise<string> => {
    const result = queue.then(async () => {
      child.stdin.write(JSON.stringify({ sql }) + '\n');
      const next = await answers.next();
      if (next.done) throw new Error(`chdb bridge exited: ${stderr}`);
      const answer = JSON.parse(next.value) as { ok: boolean; out?: string; error?: string };
      if (!answer.ok) throw new Error(`${answer.error ?? 'error'}\nin: ${sql}`);
      return answer.out ?? '';
    });
    queue = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  };

  const client = {
    async query({ query, format }: { query: string; format?: string }) {
      const out = await run(format ? `${query}\nFORMAT ${format}` : query);
      // As @clickhouse/client: the single-document JSON formats (JSON, JSONCompact, …) parse whole,
      // the *EachRow formats line by line.
      const wholeDocument = format !== undefined && format.startsWith('JSON') && !format.endsWith('EachRow');
      return {
        json: async <T>() =>
          wholeDocument
            ? (JSON.parse(out) as T)
            : out
                .split('\n')
                .filter((l) => l.trim().length > 0)
                .map((l) => JSON.parse(l) as T),
        text: async () => out,
      };
    },
    async command({ query }: { query: string }) {
      await run(query);
      return {};
    },
    async insert({
      table,
      values,
      format,
      columns,
    }: {
      table: string;
      values: object[] | Readable;
      format: string;
      columns?: string[];
    }) {
      // As @clickhouse/client: objects for the JSON formats, a byte stream of the format's text otherwise.
      let data: string;
      if (values instanceof Readable) {
        const chunks: Buffer[] = [];
        for await (const chunk of values) chunks.push(Buffer.from(chunk as Buffer));
        data = Buffer.concat(chunks).toString('utf8');
      } else {
        data = values.map((v) => JSON.stringify(v)).join('\n');
      }
      if (data.length === 0) return {};
      const names = columns === undefined ? '' : ` (${columns.join(', ')})`;
      await run(`INSERT INTO ${table}${names} FORMAT ${format}\n${data}`);
      return {};
    },
    async close() {
      /* closed with the bridge */
    },
  } as unknown as ClickHouseClient;

  return {
    client,
    async version() {
      return (await run('SELECT version()')).trim().replace(/^"|"$/g, '');
    },
    async close() {
      child.stdin.end();
      await new Promise((r) => child.once('exit', r));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
