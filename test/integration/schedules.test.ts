import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { syncTenantSchedules } from '../../src/client/schedules';
import { dailyScheduleId } from '../../src/common/ids';
import { dueDays } from '../../src/workflows/triggers/schedule-math';
import type { Stack } from '../support/stack';
import { connectStack, testTenant, uniqueName } from '../support/stack';

let stack: Stack;
beforeAll(async () => {
  stack = await connectStack();
});
afterAll(async () => {
  await stack.close();
});

const tenant = testTenant;

async function nextTimes(prefix: string, tenantId: string, n: number): Promise<string[]> {
  const described = await stack.client.schedule.getHandle(dailyScheduleId(tenantId, prefix)).describe();
  return described.info.nextActionTimes.slice(0, n).map((d) => d.toISOString());
}

describe('tenant schedules (the server computes local midnights)', () => {
  it('fires at local midnight in each tenant zone, across DST changes and a missing midnight', async () => {
    const prefix = uniqueName('sched');
    const tenants = [
      tenant('ny', 'America/New_York'),
      tenant('kolkata', 'Asia/Kolkata'),
      tenant('chatham', 'Pacific/Chatham'),
      tenant('havana', 'America/Havana'),
    ];
    // Just before the spring-forward weekend of 2027 (US: Mar 14; Cuba: Mar 14 at 00:00), and
    // Chatham's DST end (Apr 4, 2027).
    const result = await syncTenantSchedules(stack.client, tenants, {
      taskQueue: uniqueName('q'),
      prefix,
      notBefore: new Date('2027-03-12T12:00:00Z'),
    });
    // Four daily schedules, the reconciler and the SLA monitor.
    expect(result.created).toHaveLength(6);
    try {
      // New York: EST midnight is 05:00Z until the change, EDT midnight is 04:00Z after it.
      expect(await nextTimes(prefix, 'ny', 4)).toEqual([
        '2027-03-13T05:00:00.000Z',
        '2027-03-14T05:00:00.000Z',
        '2027-03-15T04:00:00.000Z',
        '2027-03-16T04:00:00.000Z',
      ]);
      // Kolkata has no DST and a half-hour offset: 18:30Z the day before, every day.
      expect(await nextTimes(prefix, 'kolkata', 3)).toEqual([
        '2027-03-12T18:30:00.000Z',
        '2027-03-13T18:30:00.000Z',
        '2027-03-14T18:30:00.000Z',
      ]);
      // Chatham is UTC+13:45 in its summer: midnight is 10:15Z the day before.
      expect((await nextTimes(prefix, 'chatham', 2))[0]).toBe('2027-03-13T10:15:00.000Z');
      // Havana springs forward at midnight on 2027-03-14: that midnight does not exist and the
      // server skips the fire, so the run for 2027-03-13 is missed. The reconciler finds it.
      expect(await nextTimes(prefix, 'havana', 3)).toEqual([
        '2027-03-13T05:00:00.000Z',
        '2027-03-15T04:00:00.000Z',
        '2027-03-16T04:00:00.000Z',
      ]);
      expect(dueDays(Date.parse('2027-03-14T12:00:00Z'), 'America/Havana', 0, 1)).toEqual(['2027-03-13']);
    } finally {
      await syncTenantSchedules(stack.client, [], { taskQueue: 'unused', prefix });
    }
  });

  it('is idempotent, pauses disabled tenants and deletes tenants that left the file', async () => {
    const prefix = uniqueName('sched');
    const taskQueue = uniqueName('q');
    const a = tenant('a', 'Europe/Berlin');
    const b = tenant('b', 'UTC');
    const first = await syncTenantSchedules(stack.client, [a, b], { taskQueue, prefix });
    expect(first.created.sort()).toEqual([
      `${prefix}-daily-a`,
      `${prefix}-daily-b`,
      `${prefix}-reconciler`,
      `${prefix}-sla-monitor`,
    ]);
    const again = await syncTenantSchedules(stack.client, [a, b], { taskQueue, prefix });
    expect(again).toEqual({ created: [], updated: [], paused: [], deleted: [] });
    const changed = await syncTenantSchedules(stack.client, [{ ...a, enabled: false }], { taskQueue, prefix });
    expect(changed.paused).toEqual([`${prefix}-daily-a`]);
    expect(changed.deleted).toEqual([`${prefix}-daily-b`]);
    const described = await stack.client.schedule.getHandle(`${prefix}-daily-a`).describe();
    expect(described.state.paused).toBe(true);
    await syncTenantSchedules(stack.client, [], { taskQueue, prefix });
  });
});
