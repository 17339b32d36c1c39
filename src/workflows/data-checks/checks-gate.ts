import type { ChecksState, DataChecksOutcome, ReleaseChecksRequest, TenantDayChecks } from './data-check-contracts';

/** What the releaseChecks update answers. */
export interface ReleaseChecksResult {
  workflowId: string;
  /** The checks that had failed. */
  failed: string[];
}

/**
 * A tenant-day's data-check gate as state and rules, without Temporal: not checked, then checked
 * (passed or warned) or blocked until an operator releases it. The workflow's ChecksGate
 * (src/workflows/data-checks/data-checks.ts) runs the check activity and the alert, and waits for the release.
 */
export class ChecksGateState {
  private current: ChecksState = { state: 'not-checked' };
  private release: ReleaseChecksRequest | undefined;

  /** What the checksState query answers. */
  get state(): ChecksState {
    return this.current;
  }

  /** The checks' outcome: a `block` holds the day until `released`. */
  checked(outcome: DataChecksOutcome & { summaryKey?: string }): TenantDayChecks {
    const checks: TenantDayChecks = { ...outcome };
    this.current = { state: outcome.verdict === 'block' ? 'blocked' : 'checked', checks };
    return checks;
  }

  failed(): string[] {
    return this.current.checks ? failedOf(this.current.checks) : [];
  }

  /** Why a release must be refused (the day is not blocked, or already released), or undefined. */
  releaseRefusal(workflowId: string): string | undefined {
    if (this.current.state !== 'blocked' || this.release)
      return `${workflowId} is not blocked by its data checks (state: ${this.current.state})`;
    return undefined;
  }

  requestRelease(request: ReleaseChecksRequest, workflowId: string): ReleaseChecksResult {
    this.release = { by: request.by, reason: request.reason };
    return { workflowId, failed: this.failed() };
  }

  get releaseAsked(): boolean {
    return this.release !== undefined;
  }

  /** The blocked day goes on: who released it, why and when go into its checks. */
  released(at: string): TenantDayChecks {
    const checks = this.current.checks!;
    checks.released = { ...this.release!, at };
    this.current = { state: 'released', checks };
    return checks;
  }
}

export const failedOf = (checks: TenantDayChecks) => checks.results.filter((r) => !r.passed).map((r) => r.check);
