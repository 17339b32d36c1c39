import { InvalidInputError } from './errors';

const ISO_DAY = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Validates a business day written as an ISO date ('2026-11-21'). */
export function assertDay(value: unknown, context = 'day'): string {
  if (typeof value !== 'string' || !ISO_DAY.test(value)) {
    throw new InvalidInputError(`${context} ${JSON.stringify(value)} is not an ISO date (YYYY-MM-DD)`);
  }
  const date = new Date(`${value}T00:00:00Z`);
  if (Number.isNaN(date.getTime()) || date.toISOString().slice(0, 10) !== value) {
    throw new InvalidInputError(`${context} ${JSON.stringify(value)} is not a calendar date`);
  }
  return value;
}

/** The day `n` days after `day` (n may be negative). Pure calendar arithmetic, no time zone. */
export function addDays(day: string, n: number): string {
  const date = new Date(`${assertDay(day)}T00:00:00Z`);
  date.setUTCDate(date.getUTCDate() + n);
  return date.toISOString().slice(0, 10);
}
