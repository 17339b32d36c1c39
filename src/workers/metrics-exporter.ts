import type { MetricsExporterConfig } from '@temporalio/worker';
import { DaybreakMetrics, TASK_DURATION_BUCKETS, recordedName } from '../common/metric-names';

/** Where the worker serves /metrics unless DAYBREAK_METRICS_ADDRESS says otherwise: this host only. */
export const DEFAULT_METRICS_ADDRESS = '127.0.0.1:9464';

/**
 * DAYBREAK_METRICS_ADDRESS as the exporter's bind address: `host:port` (IPv6 in brackets), or `off`
 * for no exporter. Unset or empty: the default, bound to the loopback interface, so a worker never
 * publishes its metrics to the network unless told to (`0.0.0.0:9464`).
 */
export function metricsAddress(raw: string | undefined): string | undefined {
  if (raw === undefined || raw.trim() === '') return DEFAULT_METRICS_ADDRESS;
  const value = raw.trim();
  if (value.toLowerCase() === 'off') return undefined;
  const m = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(value);
  const port = m ? Number(m[2]) : NaN;
  if (!m || port < 1 || port > 65535)
    throw new Error(
      `DAYBREAK_METRICS_ADDRESS=${JSON.stringify(raw)} must be host:port (like ${DEFAULT_METRICS_ADDRESS}) or off`,
    );
  return value;
}

/**
 * The Temporal runtime's Prometheus exporter: one /metrics for the SDK's own series (temporal_*) and
 * Daybreak's (daybreak_*, recorded through the SDK's meter). Prometheus conventions: counters end in
 * `_total`, durations are in seconds (the SDK's latency histograms too).
 */
export function prometheusExporter(bindAddress: string): MetricsExporterConfig {
  return {
    prometheus: {
      bindAddress,
      countersTotalSuffix: true,
      useSecondsForDurations: true,
      histogramBucketOverrides: { [recordedName(DaybreakMetrics.TaskDuration)]: TASK_DURATION_BUCKETS },
    },
  };
}

/**
 * Runs `install` (the runtime's, which starts the exporter) and names the variable when the exporter
 * cannot bind: the SDK's own message ("Address already in use") does not say which setting to change.
 */
export function withMetricsAddress<T>(address: string | undefined, install: () => T): T {
  try {
    return install();
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (!address || !/metrics exporter/i.test(message)) throw error;
    throw new Error(
      `cannot serve /metrics on DAYBREAK_METRICS_ADDRESS=${address}: ${message} ` +
        `(another process, a second worker on this host?); set another address, or off`,
      { cause: error },
    );
  }
}
