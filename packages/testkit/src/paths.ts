import path from 'node:path';

/** The repository root (this file is at packages/testkit/{src,dist}/paths). */
export function repoRoot(): string {
  return path.resolve(__dirname, '..', '..', '..');
}

export function migrationsDir(): string {
  return path.join(repoRoot(), 'infra', 'clickhouse');
}

/** Third-party sample data, kept beside the repository in ../shared/fixtures (never copied in). */
export function fixturesDir(): string {
  return path.resolve(repoRoot(), '..', 'shared', 'fixtures');
}
