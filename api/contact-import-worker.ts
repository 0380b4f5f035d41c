// Runs on the import's worker thread (see contact-import.ts): validating and
// normalising a batch of rows, where parsing phone numbers is most of the cost,
// off the request thread, so it overlaps with parsing the file and writing to
// the database.
import { importRow, type ImportOptions, type MappedRow } from '../domain/contact-import.ts';

export interface MapRowsTask {
  records: Record<string, unknown>[];
  options: ImportOptions;
}

export default function mapRows({ records, options }: MapRowsTask): MappedRow[] {
  return records.map((record) => importRow(record, options));
}
