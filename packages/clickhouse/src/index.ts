export {
  CLIENT_TIMEOUT_MS,
  createClickHouse,
  ensureDatabase,
  dropDatabase,
  type ClickHouseConfig,
  type ClickHouseClient,
} from './client';
export {
  sqlString,
  sqlIdentifier,
  sqlNumber,
  sqlDate,
  sqlDateTime,
  sqlList,
  utcDateTime,
  isCalendarDay,
} from './escape';
export { runMigrations, splitStatements, MigrationChangedError, type MigrationResult } from './migrations';
export { insertRows, insertTsv, queryRows, queryTable, queryArrays, queryJsonArray, command } from './query';
export { clickhouseErrorCode } from './error-code';
export { FIRST_DATE_COLUMN_DAY, LAST_DATE_COLUMN_DAY, outsideDateColumn } from './date-column';
export { clickhouseHealth } from './health';
export { migrationStatements, SCHEMA_MIGRATIONS_DIR, withMigratedClickHouse } from './migrated';
export { tsvField, tsvLine, TsvValueError } from './tsv';
export { deleteAndWait, DeletionPendingError, type DeletionWaitOptions } from './deletion';
