import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';

const HISTORIES = path.resolve(__dirname, 'histories');

interface HistoryEvent {
  activityTaskScheduledEventAttributes?: { activityType: { name: string } };
  markerRecordedEventAttributes?: { markerName: string; details?: Record<string, { payloads?: { data?: string }[] }> };
  userMetadata?: { summary?: { data?: string } };
}

const decode = (data: string) => JSON.parse(Buffer.from(data, 'base64').toString('utf8')) as unknown;

/** The patches a history's markers name and the activity types, in history order. */
function patchesAndActivities(file: string): string[] {
  const history = JSON.parse(readFileSync(path.join(HISTORIES, file), 'utf8')) as { events: HistoryEvent[] };
  return history.events.flatMap((e) => {
    if (e.activityTaskScheduledEventAttributes) return [e.activityTaskScheduledEventAttributes.activityType.name];
    const data = e.markerRecordedEventAttributes?.details?.['patch-data']?.payloads?.[0]?.data;
    return data ? [`patch ${(decode(data) as { id: string }).id}`] : [];
  });
}

/** Each scheduled activity of a recorded history: its type and the summary the Web UI shows. */
function scheduledActivities(file: string): { type: string; summary: string | undefined }[] {
  const history = JSON.parse(readFileSync(path.join(HISTORIES, file), 'utf8')) as { events: HistoryEvent[] };
  return history.events
    .filter((e) => e.activityTaskScheduledEventAttributes)
    .map((e) => ({
      type: e.activityTaskScheduledEventAttributes!.activityType.name,
      summary: e.userMetadata?.summary?.data
        ? (JSON.parse(Buffer.from(e.userMetadata.summary.data, 'base64').toString('utf8')) as string)
        : undefined,
    }));
}

describe("a tenant-day's activities in the Web UI timeline", () => {
  it('each say which task they run (recorded by the current workflow code)', () => {
    const activities = scheduledActivities('tenant-day.activity-summaries.v2.sdk-1.24.0.json');
    expect(activities.every((a) => a.summary)).toBe(true);
    expect(activities.filter((a) => a.type === 'runMetricTask').map((a) => a.summary)).toEqual([
      'Metric task attributes',
      'Metric task daily-usage',
      'Metric task rolling-windows',
      'Metric task account-documents',
    ]);
    expect(activities.map((a) => a.summary)).toEqual(
      expect.arrayContaining([
        'Plan partitions of 2026-11-22',
        'Aggregate partition 1/1',
        'Index account documents of 2026-11-22 (latest view and history)',
      ]),
    );
  });

  it('over 4 buckets and 2 partitions, each call names its stage, bucket and phase', () => {
    const activities = scheduledActivities('tenant-day.bucketed.v4.sdk-1.24.0.json');
    const bucket = (task: string) => [1, 2, 3, 4].map((b) => `Metric task ${task}, bucket ${b}/4`);
    expect(activities.filter((a) => a.type !== 'runMetricTask').map((a) => a.summary)).toEqual(
      expect.arrayContaining([
        'Plan account buckets of 2026-11-26',
        'Plan partitions of 2026-11-26',
        'Aggregate partition 1/2',
        'Aggregate partition 2/2',
      ]),
    );
    expect(activities.filter((a) => a.type === 'runMetricTask').map((a) => a.summary)).toEqual([
      'Metric task attributes',
      ...bucket('daily-usage'),
      ...bucket('rolling-windows'),
      ...bucket('account-documents (distribution)'),
      ...bucket('account-documents (documents)'),
      'Metric task account-documents (assemble accounts.avro)',
    ]);
  });

  it('a rerun from rolling-windows keeps the 4 stored buckets and sends no partition work', () => {
    const activities = scheduledActivities('tenant-day.bucketed-from-task.v4.sdk-1.24.0.json');
    expect(activities.map((a) => a.type)).not.toContain('planPartitions');
    expect(activities.filter((a) => a.type === 'runMetricTask').map((a) => a.summary)).toHaveLength(13);
    expect(activities.map((a) => a.summary)).toContain('Metric task rolling-windows, bucket 4/4');
  });

  it('one bucket sends the metric summaries of before, after planBuckets', () => {
    const legacy = scheduledActivities('tenant-day.activity-summaries.v2.sdk-1.24.0.json');
    const single = scheduledActivities('tenant-day.single-bucket.v4.sdk-1.24.0.json');
    const metric = (list: typeof legacy) =>
      list.filter((a) => a.type !== 'planBuckets' && a.summary?.match(/^(Metric task|Aggregate|Plan)/));
    const dayless = (list: typeof legacy) => metric(list).map((a) => a.summary!.replace(/ of \d{4}-\d{2}-\d{2}$/, ''));
    expect(dayless(single)).toEqual(dayless(legacy));
    expect(single[0]).toEqual({ type: 'checkTenantDayInputs', summary: 'Check inputs of 2026-11-25' });
    expect(single[1]).toEqual({ type: 'planBuckets', summary: 'Plan account buckets of 2026-11-25' });
  });

  it('the bucketed-metrics marker comes just before planBuckets; older histories have neither', () => {
    for (const file of [
      'tenant-day.single-bucket.v4.sdk-1.24.0.json',
      'tenant-day.bucketed.v4.sdk-1.24.0.json',
      'tenant-day.bucketed-from-task.v4.sdk-1.24.0.json',
    ]) {
      const seen = patchesAndActivities(file);
      expect(seen[seen.indexOf('patch bucketed-metrics') + 1], file).toBe('planBuckets');
    }
    for (const file of [
      'tenant-day.activity-summaries.v2.sdk-1.24.0.json',
      'tenant-day.run-ledger.v3.sdk-1.24.0.json',
    ]) {
      const seen = patchesAndActivities(file);
      expect(seen, file).not.toContain('patch bucketed-metrics');
      expect(seen, file).not.toContain('planBuckets');
    }
  });

  it('before summaries, the four metric tasks all read runMetricTask (the older history, still replayed)', () => {
    const activities = scheduledActivities('tenant-day.retried-activity.v1.sdk-1.24.0.json');
    expect(activities.some((a) => a.type === 'runMetricTask')).toBe(true);
    expect(activities.every((a) => a.summary === undefined)).toBe(true);
  });
});
