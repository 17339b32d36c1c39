import { reportKey } from '../common/keys';

/**
 * Contracts of the comparison activity (issue 6, item 3). Payloads carry keys, names and counts;
 * the differences themselves are in the CSV and the summary JSON in the object store.
 */

/**
 * - `clean`: no differences the policy counts;
 * - `expected-differences`: differences, all allowed by the policy;
 * - `unexpected-differences`: at least one difference the policy does not allow (listed in the CSV);
 * - `shadow-failed`: the shadow run failed (the caller says so) or its output is missing or unreadable.
 */
export type CompareVerdict = 'clean' | 'expected-differences' | 'unexpected-differences' | 'shadow-failed';

export interface CompareRunOutputsInput {
  tenantId: string;
  /** The tenant's local day, ISO date. */
  day: string;
  /** The live version: its `primary` run's accounts.avro is the reference. */
  primaryPipelineVersion: string;
  /** The candidate: its `shadow` run's accounts.avro is compared against the reference. */
  shadowPipelineVersion: string;
  /** A registered comparison policy, e.g. `v1-to-v2` or `identical`. */
  policy: string;
  /** The caller's word that the shadow run failed or timed out: nothing is compared. */
  shadowFailed?: boolean;
  /** A short reason for shadowFailed, kept in the summary. */
  shadowFailure?: string;
  /** Override the default keys, outputKey({tenantId, day, version, runKind}, 'accounts.avro'). */
  primaryKey?: string;
  shadowKey?: string;
  /**
   * Noise baseline: two outputs of the primary version for the same tenant-day (e.g. its primary run
   * and a rerun). Fields that differ between them are reported as noise, not as regressions.
   */
  noiseBaseline?: { firstKey: string; secondKey: string };
  /** Report folder name; default `compare-<primaryVersion>-vs-<shadowVersion>`. */
  reportName?: string;
}

export interface CompareRunOutputsResult {
  verdict: CompareVerdict;
  policy: string;
  /** RFC 4180 CSV of the unexpected differences (header only when there are none). */
  csvKey: string;
  /** JSON summary with per-field statistics. */
  summaryKey: string;
  /** Accounts present in both outputs. */
  accountsCompared: number;
  /** Accounts only the shadow output has. */
  missingInPrimary: number;
  /** Accounts only the primary output has. */
  missingInShadow: number;
  /** Rows of the CSV: unexpected field differences, missing accounts and failed aggregate checks. */
  unexpected: number;
  expected: number;
  noise: number;
  /** Why the verdict is shadow-failed, when it is. */
  shadowFailure?: string;
}

export function compareReportName(primaryPipelineVersion: string, shadowPipelineVersion: string): string {
  return `compare-${primaryPipelineVersion}-vs-${shadowPipelineVersion}`;
}

/** Where a comparison's CSV and summary go. */
export function compareReportKeys(
  tenantId: string,
  day: string,
  reportName: string,
): { csvKey: string; summaryKey: string } {
  return {
    csvKey: reportKey(reportName, tenantId, day, 'differences.csv'),
    summaryKey: reportKey(reportName, tenantId, day, 'summary.json'),
  };
}
