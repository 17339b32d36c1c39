import { describe, expect, it } from 'vitest';
import { assertTenantSettings } from '../../../src/workflows/request-validation';
import { localDayWindow } from '../../../src/common/local-day';
import { IANA_TIME_ZONES } from '../../../src/common/iana-time-zones';
import { parseTenantsFile } from '../../../src/workflows/tenants/tenant-config';
import { isValidTimeZone, timeZoneProblem } from '../../../src/common/time-zone';

describe('the time zone rule: IANA names, spelled exactly', () => {
  it.each([
    'America/New_York',
    'Europe/Berlin',
    'Asia/Kolkata',
    'Pacific/Chatham',
    'Pacific/Kiritimati',
    'America/Havana',
    // Links are IANA names as well, accepted as written.
    'UTC',
    'Etc/UTC',
    'US/Eastern',
    'Asia/Calcutta',
  ])('accepts %s', (zone) => {
    expect(timeZoneProblem(zone)).toBeUndefined();
    expect(isValidTimeZone(zone)).toBe(true);
  });

  it.each([
    [
      'america/new_york',
      '"america/new_york" is not an IANA time zone name: names are case-sensitive (did you mean America/New_York?)',
    ],
    [
      'AMERICA/NEW_YORK',
      '"AMERICA/NEW_YORK" is not an IANA time zone name: names are case-sensitive (did you mean America/New_York?)',
    ],
    ['utc', '"utc" is not an IANA time zone name: names are case-sensitive (did you mean UTC?)'],
    ['us/eastern', '"us/eastern" is not an IANA time zone name: names are case-sensitive (did you mean US/Eastern?)'],
    ['America/New_Yrok', '"America/New_Yrok" is not a known IANA time zone (did you mean America/New_York?)'],
    ['Europe/Berlim', '"Europe/Berlim" is not a known IANA time zone (did you mean Europe/Berlin?)'],
    ['Mars/Olympus_Mons', '"Mars/Olympus_Mons" is not a known IANA time zone'],
    ['', '"" is not a known IANA time zone'],
    // zic's placeholder, not a place: Intl cannot compute with it either.
    ['Factory', '"Factory" is not a known IANA time zone'],
    [42, '42 must be an IANA time zone name (a string)'],
  ])('refuses %j: %s', (zone, problem) => {
    expect(timeZoneProblem(zone)).toBe(problem);
    expect(isValidTimeZone(zone)).toBe(false);
  });

  it('accepts what Intl computes with only in the exact IANA spelling (Intl itself ignores case)', () => {
    expect(() => new Intl.DateTimeFormat('en-US', { timeZone: 'america/new_york' })).not.toThrow();
    const lower = new Map(IANA_TIME_ZONES.map((z) => [z.toLowerCase(), z]));
    expect(lower.size).toBe(IANA_TIME_ZONES.length); // no two names differ only in case
    for (const zone of IANA_TIME_ZONES) expect(timeZoneProblem(zone), zone).toBeUndefined();
  });

  it('is the rule of every place a zone is checked: tenants file, run requests, local days', () => {
    const did = /did you mean America\/New_York\?/;
    expect(() => localDayWindow('2026-03-01', 'america/new_york')).toThrow(did);
    expect(() => assertTenantSettings({ timeZone: 'america/new_york', badDataPolicy: 'fail' })).toThrow(did);
    expect(() => parseTenantsFile({ tenants: [{ id: 'acme', timeZone: 'america/new_york' }] }, 'tenants.json')).toThrow(
      /tenants\.json: tenants\[0\] \("acme"\): timeZone "america\/new_york" is not an IANA time zone name: names are case-sensitive \(did you mean America\/New_York\?\)/,
    );
    expect(localDayWindow('2026-03-01', 'Etc/UTC').hours).toBe(24);
  });

  it('lists every invalid tenant of a file at once', () => {
    let error: Error | undefined;
    try {
      parseTenantsFile(
        {
          tenants: [
            { id: 'acme', timeZone: 'America/New_York' },
            { id: 'globex', timeZone: 'europe/berlin' },
            { id: 'initech', timeZone: 'Asia/Kolkata' },
            { id: 'hooli', timeZone: 'Pacific/Kiritmati' },
            { id: 'Bad Id', timeZone: 'UTC' },
          ],
        },
        'tenants.json',
      );
    } catch (e) {
      error = e as Error;
    }
    expect(error?.message).toBe(
      [
        'tenants.json: 3 problems:',
        '  tenants[1] ("globex"): timeZone "europe/berlin" is not an IANA time zone name: names are case-sensitive (did you mean Europe/Berlin?)',
        '  tenants[3] ("hooli"): timeZone "Pacific/Kiritmati" is not a known IANA time zone (did you mean Pacific/Kiritimati?)',
        `  tenants[4] ("Bad Id"): id "Bad Id" must be 1-63 characters of [a-z0-9-], not starting or ending with '-'`,
      ].join('\n'),
    );
  });
});
