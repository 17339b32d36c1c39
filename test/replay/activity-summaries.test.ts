import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';

const HISTORIES = path.resolve(__dirname, 'histories');

interface HistoryEvent {
  activityTaskScheduledEventAttributes?: { activityType: { name: string } };
  userMetadata?: { summary?: { data?: string } };
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

  it('before summaries, the four metric tasks all read runMetricTask (the older history, still replayed)', () => {
    const activities = scheduledActivities('tenant-day.retried-activity.v1.sdk-1.24.0.json');
    expect(activities.some((a) => a.type === 'runMetricTask')).toBe(true);
    expect(activities.every((a) => a.summary === undefined)).toBe(true);
  });
});
