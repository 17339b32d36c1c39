import { closestName } from './did-you-mean';
import { IANA_TIME_ZONES } from './iana-time-zones';

/**
 * The one time-zone rule of Daybreak (tenants file, run requests, local days): a zone is a name of
 * the IANA tz database spelled exactly as the database spells it, and one this runtime can compute
 * with. Case matters: Node's Intl resolves `america/new_york` to New York, but the Temporal server
 * (Go's time.LoadLocation over zoneinfo files) does not, so a schedule created with it fails.
 *
 * Links are IANA names too and are accepted as written: `UTC`, `Etc/UTC`, `US/Eastern`,
 * `Asia/Calcutta` (the database keeps them so old configurations keep working, and every runtime
 * Daybreak uses resolves them). What is refused is any other spelling, with the right one suggested.
 */
const EXACT = new Set(IANA_TIME_ZONES);
const BY_LOWER_CASE = new Map(IANA_TIME_ZONES.map((name) => [name.toLowerCase(), name]));

function resolvable(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/**
 * What is wrong with `zone` as a time zone, starting with the zone quoted, for the caller to put
 * after its subject (`timeZone "america/new_york" is not …`); undefined when it is valid.
 */
export function timeZoneProblem(zone: unknown): string | undefined {
  if (typeof zone !== 'string') return `${JSON.stringify(zone)} must be an IANA time zone name (a string)`;
  if (EXACT.has(zone)) {
    if (resolvable(zone)) return undefined;
    return `${JSON.stringify(zone)} is not known to this runtime's time zone data (ICU); update Node`;
  }
  const sameLetters = BY_LOWER_CASE.get(zone.toLowerCase());
  if (sameLetters) {
    return `${JSON.stringify(zone)} is not an IANA time zone name: names are case-sensitive (did you mean ${sameLetters}?)`;
  }
  const near = closestName(zone, IANA_TIME_ZONES);
  return `${JSON.stringify(zone)} is not a known IANA time zone${near ? ` (did you mean ${near}?)` : ''}`;
}

export function isValidTimeZone(zone: unknown): zone is string {
  return timeZoneProblem(zone) === undefined;
}
