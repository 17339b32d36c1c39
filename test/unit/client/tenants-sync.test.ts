import type { Client } from '@temporalio/client';
import { describe, expect, it } from 'vitest';
import { SearchAttributesError, ensureSearchAttributes, searchAttributesCommand } from '../../../src/client/namespaces';
import { syncTenantSchedules } from '../../../src/client/schedules';
import { ALL_SEARCH_ATTRIBUTE_KEYS } from '../../../src/common/search-attributes';
import { TenantsFileError } from '../../../src/workflows/tenants/tenant-config';
import type { TenantConfig } from '../../../src/workflows/tenants/tenant-config';

function tenant(id: string, timeZone: string): TenantConfig {
  return { id, displayName: id, timeZone, runHour: 0, enabled: true, planTier: 'standard', badDataPolicy: 'fail' };
}

/** A client whose every use is recorded (and refused): sync must not get to it with an invalid tenant. */
function recordingClient(calls: string[]): Client {
  const record = (what: string) =>
    new Proxy(
      {},
      {
        get: (_t, name) => {
          calls.push(`${what}.${String(name)}`);
          throw new Error(`unexpected call ${what}.${String(name)}`);
        },
      },
    );
  return {
    connection: { operatorService: record('operatorService'), workflowService: record('workflowService') },
    options: { namespace: 'default' },
    schedule: record('schedule'),
  } as unknown as Client;
}

describe('syncTenantSchedules validates every tenant before it changes anything', () => {
  it('refuses the whole list, naming each invalid tenant, without a single server call', async () => {
    const calls: string[] = [];
    const tenants = [
      tenant('acme', 'America/New_York'),
      tenant('globex', 'america/new_york'),
      tenant('initech', 'Asia/Kolkata'),
      tenant('acme', 'UTC'),
    ];
    const error = await syncTenantSchedules(recordingClient(calls), tenants, { taskQueue: 'q' }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(TenantsFileError);
    expect((error as TenantsFileError).message).toBe(
      [
        'tenants to sync: 2 problems:',
        '  tenants[1] ("globex"): timeZone "america/new_york" is not an IANA time zone name: names are case-sensitive (did you mean America/New_York?)',
        '  tenants[3] ("acme"): duplicate id "acme"',
      ].join('\n'),
    );
    expect(calls).toEqual([]);
  });
});

describe("Daybreak's search attributes in a namespace", () => {
  // All of Daybreak's attributes are keywords; the names come from the one list (another change may rename one).
  expect(ALL_SEARCH_ATTRIBUTE_KEYS.every((k) => k.type === 'KEYWORD')).toBe(true);
  const [first, ...rest] = ALL_SEARCH_ATTRIBUTE_KEYS.map((k) => k.name);
  const args = (names: string[]) => names.map((n) => `--name ${n} --type Keyword`).join(' ');

  it('names the exact command to run when the server refuses to register them', async () => {
    const denied = Object.assign(new Error('7 PERMISSION_DENIED: Request unauthorized.'), { code: 7 });
    const operatorService = {
      listSearchAttributes: () => Promise.resolve({ customAttributes: { [first]: 2 } }),
      addSearchAttributes: () => Promise.reject(denied),
    };
    const error = await ensureSearchAttributes(
      { operatorService } as unknown as Parameters<typeof ensureSearchAttributes>[0],
      'prod',
    ).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(SearchAttributesError);
    expect((error as Error).message).toBe(
      `could not register Daybreak's search attributes (${rest.join(', ')}) in namespace prod: ` +
        '7 PERMISSION_DENIED: Request unauthorized. Have someone with operator rights on the namespace run:\n' +
        `  temporal operator search-attribute create --namespace prod ${args(rest)}\n` +
        'then run this again.',
    );
  });

  it('spells the command for the whole list', () => {
    expect(searchAttributesCommand('default')).toBe(
      `temporal operator search-attribute create --namespace default ${args([first, ...rest])}`,
    );
    expect(first).toBe('TenantId');
  });
});
