import type { DifferenceRow } from './engine';
import type { FieldValue } from './values';

/** The columns of the unexpected-differences CSV, in order. */
export const DIFFERENCE_CSV_COLUMNS = [
  'tenant',
  'day',
  'account',
  'field',
  'primary_value',
  'shadow_value',
  'delta',
  'rule',
] as const;

const NEEDS_QUOTES = /[",\r\n]/;

/**
 * One RFC 4180 field: quoted when it holds a comma, a double quote, CR or LF, with inner quotes
 * doubled. Strings are written as they are (no normalization, so an NFC/NFD difference stays visible).
 */
export function csvField(value: string): string {
  return NEEDS_QUOTES.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** One record, CRLF-terminated as RFC 4180 asks. */
export function csvRecord(values: readonly string[]): string {
  return values.map(csvField).join(',') + '\r\n';
}

/** How a value appears in a cell: null and absent as an empty cell, numbers in JavaScript's shortest form. */
export function formatValue(value: FieldValue): string {
  if (value === null || value === undefined) return '';
  return String(value);
}

export function differenceCsvHeader(): string {
  return csvRecord(DIFFERENCE_CSV_COLUMNS);
}

export function differenceCsvRecord(tenantId: string, day: string, row: DifferenceRow): string {
  return csvRecord([
    tenantId,
    day,
    row.account,
    row.field,
    formatValue(row.primary),
    formatValue(row.shadow),
    row.delta === undefined ? '' : String(row.delta),
    row.rule,
  ]);
}

/** Parses RFC 4180 text back into records (used by tests and tools reading the reports). */
export function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let field = '';
  let quoted = false;
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i += 2;
          continue;
        }
        quoted = false;
      } else {
        field += c;
      }
      i++;
      continue;
    }
    if (c === '"') quoted = true;
    else if (c === ',') {
      record.push(field);
      field = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      record.push(field);
      records.push(record);
      record = [];
      field = '';
      i++;
    } else if (c === '\n') {
      record.push(field);
      records.push(record);
      record = [];
      field = '';
    } else field += c;
    i++;
  }
  if (field !== '' || record.length > 0) {
    record.push(field);
    records.push(record);
  }
  return records;
}
