import { describe, expect, it } from 'vitest';
import { DaybreakMetrics, TASK_DURATION_BUCKETS } from '../../../src/common/metric-names';
import { readConfig } from '../../../src/workers/config';
import {
  DEFAULT_METRICS_ADDRESS,
  metricsAddress,
  prometheusExporter,
  withMetricsAddress,
} from '../../../src/workers/metrics-exporter';

describe('DAYBREAK_METRICS_ADDRESS', () => {
  it('defaults to the loopback interface, so metrics are not published to the network unasked', () => {
    expect(DEFAULT_METRICS_ADDRESS).toBe('127.0.0.1:9464');
    expect(readConfig({}).metrics.address).toBe('127.0.0.1:9464');
    expect(metricsAddress('')).toBe('127.0.0.1:9464');
  });

  it('takes host:port, IPv6 in brackets, or off', () => {
    expect(metricsAddress('0.0.0.0:9100')).toBe('0.0.0.0:9100');
    expect(metricsAddress('[::1]:9464')).toBe('[::1]:9464');
    expect(metricsAddress('worker-1.internal:9464')).toBe('worker-1.internal:9464');
    expect(metricsAddress('off')).toBeUndefined();
    expect(readConfig({ DAYBREAK_METRICS_ADDRESS: 'OFF' }).metrics.address).toBeUndefined();
  });

  it('refuses anything else, naming the variable', () => {
    for (const bad of ['9464', '127.0.0.1', '127.0.0.1:0', '127.0.0.1:70000', 'http://127.0.0.1:9464', 'a b:1'])
      expect(() => metricsAddress(bad), bad).toThrow(/DAYBREAK_METRICS_ADDRESS=.* must be host:port/);
  });
});

describe('the Prometheus exporter', () => {
  it('follows Prometheus conventions and gives the task durations buckets up to an hour', () => {
    const config = prometheusExporter('127.0.0.1:1234');
    expect(config).toMatchObject({
      prometheus: { bindAddress: '127.0.0.1:1234', countersTotalSuffix: true, useSecondsForDurations: true },
    });
    const overrides = 'prometheus' in config ? config.prometheus.histogramBucketOverrides : undefined;
    // Keyed by the recorded name: the exporter adds no suffix to histograms.
    expect(overrides).toEqual({ [DaybreakMetrics.TaskDuration]: TASK_DURATION_BUCKETS });
    expect(TASK_DURATION_BUCKETS.at(-1)).toBe(3600);
  });
});

describe('a metrics address that cannot be bound', () => {
  it("fails the worker naming the variable and its value, not only the SDK's message", () => {
    // The SDK's message when the port is taken (measured: Runtime.install with a listener on the port).
    const sdk = new Error('Failed to start prometheus metrics exporter: Address already in use (os error 98)');
    expect(() =>
      withMetricsAddress('127.0.0.1:9464', () => {
        throw sdk;
      }),
    ).toThrow(
      /DAYBREAK_METRICS_ADDRESS=127\.0\.0\.1:9464: Failed to start prometheus metrics exporter: Address already in use/,
    );
    const other = new Error('something else');
    expect(() =>
      withMetricsAddress('127.0.0.1:9464', () => {
        throw other;
      }),
    ).toThrow(other);
    expect(withMetricsAddress(undefined, () => 42)).toBe(42);
  });
});
