import { WorkflowUpdateFailedError } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/common';
import type { AuditEntry, RolloutState } from '../../workflows/rollouts/rollout-contracts';
import { FORCE_HINT, UNEXPECTED_CSV_LABEL } from '../../workflows/rollouts/rollout-state';
import type { DaybreakConfig } from '../../workers/config';

/** Audit entries shown per tenant by `rollout status`; the workflow keeps more (its history keeps all). */
const AUDIT_SHOWN = 10;

/**
 * An object key as the URL of the store the workers write it to, the same base the stores
 * describe themselves with (`s3://bucket`, `file:///abs/root`), so a report can be opened directly.
 */
export function reportUrlOf(config: Pick<DaybreakConfig, 'store' | 's3'>): (key: string) => string {
  const base = config.store.kind === 's3' ? `s3://${config.s3.bucket}` : `file://${config.store.fsRoot}`;
  return (key) => `${base}/${key}`;
}

export interface RolloutTableOptions {
  /** Turns a report's object key into what is printed; default: the key as is. */
  reportUrl?: (key: string) => string;
}

function auditLine(entry: AuditEntry): string {
  return `      ${entry.at} ${entry.action}${entry.forced ? ' (forced)' : ''} by ${entry.by}: ${entry.reason}`;
}

/** Each tenant's stage and last verdict, then who moved it, when and why (newest last). */
export function formatRolloutTable(state: RolloutState, options: RolloutTableOptions = {}): string {
  const url = options.reportUrl ?? ((key: string) => key);
  const rows = state.tenants.flatMap((t) => {
    const last = t.verdicts.at(-1);
    const row = `  ${t.tenantId.padEnd(16)} ${t.stage.padEnd(12)} clean days ${String(t.consecutiveClean).padEnd(3)} last verdict ${(last ? `${last.day} ${last.verdict}` : '-').padEnd(36)} ${t.lastUnexpectedCsv ? url(t.lastUnexpectedCsv) : ''}`;
    const audit = state.audit.filter((a) => a.tenantId === t.tenantId);
    const earlier = audit.length - AUDIT_SHOWN;
    return [
      row.trimEnd(),
      ...(earlier > 0 ? [`      (${earlier} earlier actions in the workflow history)`] : []),
      ...audit.slice(-AUDIT_SHOWN).map(auditLine),
    ];
  });
  return [
    `rollout of ${state.candidateVersion} (baseline ${state.baselineVersion}, policy ${state.policy.comparisonPolicy})${state.ended ? ', ended' : ''}`,
    ...rows,
  ].join('\n');
}

/**
 * The workflow's refusals in the CLI's words: `--force` for the SDK's `force` field, and report
 * keys as store URLs. The SDK caller keeps the neutral text (src/workflows/rollouts/rollout-state.ts).
 */
export function cliRefusalText(text: string, reportUrl: (key: string) => string): string {
  return text
    .replace(FORCE_HINT, 'promote with --force to override')
    .replace(
      new RegExp(`${UNEXPECTED_CSV_LABEL}(\\S+?)(?=;|$)`),
      (_, key: string) => UNEXPECTED_CSV_LABEL + reportUrl(key),
    );
}

/**
 * An operator action's failure as one line: the refusal itself, without the SDK's
 * "Workflow Update failed" wrapper, or what to do when the rollout is not running.
 */
export function rolloutActionError(
  error: unknown,
  context: { action: string; candidate: string; reportUrl: (key: string) => string },
): Error {
  if (error instanceof WorkflowUpdateFailedError) {
    const reason = error.cause instanceof Error ? error.cause.message : error.message;
    return new Error(`${context.action} refused: ${cliRefusalText(reason, context.reportUrl)}`);
  }
  if (error instanceof WorkflowNotFoundError) {
    return new Error(
      `${context.action}: the rollout of ${context.candidate} is not running (it ended, or was never started); ` +
        `start it again with \`daybreak rollout start --candidate ${context.candidate}\``,
    );
  }
  return error instanceof Error ? error : new Error(String(error));
}
