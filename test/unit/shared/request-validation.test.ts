import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../../src/common/errors';
import type { RunRequest } from '../../../src/workflows/lanes/lane-contracts';
import { assertRolloutInput, assertRunRequest, assertTenantDayInput } from '../../../src/workflows/request-validation';
import type { TenantDayInput } from '../../../src/workflows/tenant-days/tenant-day-contracts';

const tenant = { timeZone: 'Asia/Kolkata', badDataPolicy: 'quarantine' as const };
const request: RunRequest = { day: '2026-11-20', kind: 'rerun', requestedBy: 'ops', tenant };
const check =
  (r: Partial<RunRequest>, primaryVersion = 'v1') =>
  () =>
    assertRunRequest({ tenantId: 'acme', request: { ...request, ...r }, primaryVersion });

describe('run requests', () => {
  it('accepts every task of the graph as fromTask, and no fromTask', () => {
    for (const fromTask of [
      undefined,
      'aggregate-partitions',
      'attributes',
      'daily-usage',
      'rolling-windows',
      'account-documents',
    ])
      expect(check({ fromTask })).not.toThrow();
  });

  it('refuses an unknown task, naming it and the tasks there are', () => {
    expect(check({ fromTask: 'nosuchtask' })).toThrow(InvalidInputError);
    expect(check({ fromTask: 'nosuchtask' })).toThrow(
      'run request for tenant acme 2026-11-20: fromTask: task "nosuchtask" is not a task of pipeline v1; tasks: aggregate-partitions, attributes, daily-usage, rolling-windows, account-documents',
    );
  });

  it('refuses unknown versions (its own or the lane primary), bad days, kinds, zones, policies and a missing requester', () => {
    expect(check({ pipelineVersion: 'v3' })).toThrow('pipeline version "v3" does not exist; known: v1, v2');
    expect(check({}, 'v9')).toThrow('"v9" does not exist');
    expect(check({ day: '2026-02-30' })).toThrow('not a calendar date');
    expect(check({ kind: 'weekly' as RunRequest['kind'] })).toThrow('kind "weekly" is invalid');
    expect(check({ tenant: { ...tenant, timeZone: 'Mars/Olympus' } })).toThrow(
      '"Mars/Olympus" is not a known IANA time zone',
    );
    expect(check({ tenant: { ...tenant, badDataPolicy: 'drop' as 'fail' } })).toThrow('bad data policy "drop"');
    expect(check({ requestedBy: '' })).toThrow('requestedBy');
  });
});

describe('tenant-day input', () => {
  const input: TenantDayInput = {
    tenantId: 'acme',
    day: '2026-11-20',
    timeZone: 'Europe/Berlin',
    badDataPolicy: 'fail',
    pipelineVersion: 'v2',
    runKind: 'shadow',
    trigger: 'test',
  };
  it('accepts a valid day and refuses each bad field by name', () => {
    expect(() => assertTenantDayInput(input)).not.toThrow();
    expect(() => assertTenantDayInput({ ...input, tenantId: 'A/../b' })).toThrow('tenant id "A/../b" is invalid');
    expect(() => assertTenantDayInput({ ...input, pipelineVersion: 'v3' })).toThrow(
      'tenant-day of acme 2026-11-20: pipeline version "v3" does not exist',
    );
    expect(() => assertTenantDayInput({ ...input, fromTask: 'nosuchtask' })).toThrow('"nosuchtask"');
    expect(() => assertTenantDayInput({ ...input, maxPartitions: 0 })).toThrow('maxPartitions 0');
    expect(() => assertTenantDayInput({ ...input, runKind: 'canary' as 'primary' })).toThrow('run kind "canary"');
  });

  it('takes a forced bucket count only as a power of two from 1 to 1024, and a whole bucket concurrency', () => {
    for (const buckets of [1, 2, 4, 512, 1024]) expect(() => assertTenantDayInput({ ...input, buckets })).not.toThrow();
    for (const buckets of [0, 3, 6, 2048, 1.5, -4])
      expect(() => assertTenantDayInput({ ...input, buckets })).toThrow(
        `tenant-day of acme 2026-11-20: buckets ${buckets} must be a power of two from 1 to 1024`,
      );
    expect(() => assertTenantDayInput({ ...input, bucketConcurrency: 2 })).not.toThrow();
    expect(() => assertTenantDayInput({ ...input, bucketConcurrency: 0 })).toThrow('bucketConcurrency 0');
  });
});

describe('rollout input', () => {
  const rollout = {
    candidateVersion: 'v2',
    baselineVersion: 'v1',
    tenants: [{ tenantId: 'acme', tenant }],
    policy: { comparisonPolicy: 'v1-to-v2', cleanDaysToEligible: 2, autoPromote: false },
  };
  it('accepts two existing versions and refuses the rest', () => {
    expect(() => assertRolloutInput(rollout)).not.toThrow();
    expect(() => assertRolloutInput({ ...rollout, candidateVersion: 'v3' })).toThrow(
      'rollout candidate version "v3" does not exist; known: v1, v2',
    );
    expect(() => assertRolloutInput({ ...rollout, candidateVersion: 'v1' })).toThrow('the candidate is the baseline');
    expect(() => assertRolloutInput({ ...rollout, tenants: [] })).toThrow('no tenants');
    expect(() => assertRolloutInput({ ...rollout, tenants: [...rollout.tenants, ...rollout.tenants] })).toThrow(
      'tenant acme is named twice',
    );
    expect(() => assertRolloutInput({ ...rollout, policy: { ...rollout.policy, cleanDaysToEligible: 0 } })).toThrow(
      'cleanDaysToEligible 0',
    );
  });
});
