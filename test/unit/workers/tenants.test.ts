import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../../src/common/errors';
import { TenantsFileError } from '../../../src/workflows/tenants/tenant-config';
import { loadTenantsFile } from '../../../src/workers/tenants';

const dir = mkdtempSync(path.join(tmpdir(), 'daybreak-tenants-'));
let n = 0;

function file(content: unknown): string {
  const target = path.join(dir, `tenants-${n++}.json`);
  writeFileSync(target, typeof content === 'string' ? content : JSON.stringify(content));
  return target;
}

const good = { id: 'acme', timeZone: 'America/New_York' };

async function problem(tenants: unknown[]): Promise<string> {
  const error = await loadTenantsFile(file({ tenants })).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(InvalidInputError);
  return (error as Error).message;
}

describe('loadTenantsFile', () => {
  it('loads the default deploy/tenants.json with defaults filled in', async () => {
    const { tenants } = await loadTenantsFile(path.resolve(__dirname, '../../../deploy/tenants.json'));
    expect(tenants.map((t) => t.id)).toEqual(['acme', 'globex', 'initech', 'umbrella', 'hooli', 'soylent']);
    expect(tenants[0]).toEqual({
      id: 'acme',
      displayName: 'Acme Corp',
      timeZone: 'America/New_York',
      runHour: 0,
      enabled: true,
      planTier: 'enterprise',
      badDataPolicy: 'quarantine',
    });
    expect(tenants[5].badDataPolicy).toBe('fail');
  });

  it('rejects an unknown time zone, naming the entry', async () => {
    expect(await problem([good, { id: 'mars', timeZone: 'Mars/Olympus_Mons' }])).toMatch(
      /tenants\[1\] \("mars"\): timeZone "Mars\/Olympus_Mons" is not a known IANA time zone/,
    );
  });

  it('rejects a duplicate id, naming the second entry', async () => {
    expect(await problem([good, { ...good, timeZone: 'Europe/Berlin' }])).toMatch(
      /tenants\[1\] \("acme"\): duplicate id "acme"/,
    );
  });

  it.each(['a/../b', 'Acme', 'a*', '', '-acme', 'acme-', 'a b', 'a'.repeat(64)])(
    'rejects the id %j, which could escape its key prefix or index name',
    async (id) => {
      const message = await problem([good, { id, timeZone: 'UTC' }]);
      expect(message).toContain(`tenants[1]`);
      expect(message).toContain(`id ${JSON.stringify(id)} must be 1-63 characters of [a-z0-9-]`);
    },
  );

  it.each([24, -1, 1.5, '3'])('rejects runHour %j', async (runHour) => {
    expect(await problem([{ ...good, runHour }])).toMatch(
      /tenants\[0\] \("acme"\): runHour .* must be an integer 0-23/,
    );
  });

  it('rejects a bad plan tier and bad-data policy', async () => {
    expect(await problem([{ ...good, planTier: 'gold' }])).toMatch(/planTier "gold"/);
    expect(await problem([{ ...good, badDataPolicy: 'ignore' }])).toMatch(/badDataPolicy "ignore"/);
  });

  it('names the file when it is not JSON or has no tenants array', async () => {
    const broken = file('{ "tenants": [');
    await expect(loadTenantsFile(broken)).rejects.toThrow(`tenants file ${broken}`);
    await expect(loadTenantsFile(file({ tenant: [] }))).rejects.toThrow(/expected an object with a "tenants" array/);
  });
  it('refuses unknown keys, with the key a typo most likely meant', async () => {
    expect(await problem([{ ...good, runhour: 3 }])).toMatch(
      /tenants\[0\] \("acme"\): unknown key "runhour" \(did you mean "runHour"\?\)/,
    );
    const error = await loadTenantsFile(file({ tenants: [good], defaults: {} })).catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/unknown key "defaults"/);
  });

  it('reports every problem of the file at once, each with its tenant and field', async () => {
    const error = await loadTenantsFile(
      file({
        tenants: [
          { ...good, planTier: 'gold', timezone: 'UTC' },
          { id: 'Bad Id', timeZone: 'Mars/Olympus_Mons' },
          { id: 'globex', timeZone: 'Europe/Berlin', runHour: 24 },
        ],
      }),
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TenantsFileError);
    const { problems, message } = error as TenantsFileError;
    expect(problems.map((p) => [p.index, p.tenantId, p.field])).toEqual([
      [0, 'acme', 'timezone'],
      [0, 'acme', 'planTier'],
      [1, 'Bad Id', 'id'],
      [1, 'Bad Id', 'timeZone'],
      [2, 'globex', 'runHour'],
    ]);
    expect(message).toMatch(/: 5 problems:\n/);
    for (const line of [
      'tenants[0] ("acme"): unknown key "timezone" (did you mean "timeZone"?)',
      'tenants[0] ("acme"): planTier "gold"',
      'tenants[1] ("Bad Id"): id "Bad Id" must be',
      'tenants[1] ("Bad Id"): timeZone "Mars/Olympus_Mons"',
      'tenants[2] ("globex"): runHour 24 must be an integer 0-23',
    ])
      expect(message).toContain(line);
  });
});
