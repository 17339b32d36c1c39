import { fanOutSummaries } from '../../metrics/fan-out';

/**
 * The one-line summaries a tenant-day's activities carry (the SDK's activity option `summary`, sent
 * as the ScheduleActivityTask command's user metadata). The Web UI's timeline shows them instead of
 * the bare activity type, so the four metric tasks no longer all read `runMetricTask`. The metric
 * activities' summaries are the fan-out's (one home: the legacy walk and the fan-out send the same
 * strings). Pure: the workflow imports it.
 */
export const activitySummaries = {
  ...fanOutSummaries,
  ensureServingIndex: (pipelineVersion: string) => `Ensure ${pipelineVersion} serving indices`,
  ensureServedAlias: (pipelineVersion: string) => `Ensure served aliases (first version ${pipelineVersion})`,
  indexAccountDocuments: (day: string) => `Index account documents of ${day} (latest view and history)`,
  compareRunOutputs: (primary: string, shadow: string) => `Compare ${shadow} with primary ${primary}`,
};
