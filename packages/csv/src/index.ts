export { readCsvFile, type CsvFileItem, type CsvFileOptions } from './read-csv-file';
