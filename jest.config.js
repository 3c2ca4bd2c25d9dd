// One jest run for the whole workspace. Tests import workspace packages from their TypeScript
// sources (mapped below), so `pnpm test` needs no build for in-process tests; tests that start a
// service as a child process use the compiled dist/, which `pnpm test` builds first.
const fs = require('node:fs');
const path = require('node:path');

const moduleNameMapper = {};
for (const group of ['packages', 'services']) {
  for (const dir of fs.readdirSync(path.join(__dirname, group))) {
    const pkgFile = path.join(__dirname, group, dir, 'package.json');
    if (!fs.existsSync(pkgFile)) continue;
    const { name } = JSON.parse(fs.readFileSync(pkgFile, 'utf8'));
    moduleNameMapper[`^${name}$`] = `<rootDir>/${group}/${dir}/src/index.ts`;
  }
}

module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/packages', '<rootDir>/services', '<rootDir>/infra'],
  testMatch: ['**/test/**/*.test.ts'],
  transform: { '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022' } }] },
  moduleNameMapper,
  testTimeout: 60_000,
  // Integration suites talk to the real Kafka/ClickHouse/Redis; each gets its own topics and database.
  maxWorkers: 2,
};
