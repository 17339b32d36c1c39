import type { BackfillInput, BackfillProgress } from './backfill-contracts';
import { addDays } from '../../common/days';
import type { RunFinishedSignal, RunRequest } from '../lanes/lane-contracts';

/**
 * A backfill's state and rules, without Temporal: its days in order, where it is, what each day's
 * lane run did, and the pause on a failed day until an operator resumes (retry the day) or skips
 * it. The backfill workflow wires its messages to this and asks the lane for each day.
 */
export class Backfill {
  readonly days: string[] = [];
  readonly progress: BackfillProgress;
  private position = 0;
  /** The lane's `runFinished` signals, by day: only backfill runs count. */
  private readonly finished = new Map<string, RunFinishedSignal>();
  private resumeAsked = false;
  private skipAsked = false;

  constructor(private readonly input: BackfillInput) {
    for (let day = input.fromDay; day <= input.toDay; day = addDays(day, 1)) this.days.push(day);
    this.progress = { tenantId: input.tenantId, total: this.days.length, completed: [], failed: [], paused: false };
  }

  /** Every day is done: completed, queued by another requester, or skipped. */
  get done(): boolean {
    return this.position >= this.days.length;
  }

  get day(): string {
    return this.days[this.position];
  }

  runFinished(signal: RunFinishedSignal): void {
    if (signal.kind === 'backfill') this.finished.set(signal.day, signal);
  }

  resume(): void {
    this.resumeAsked = true;
  }

  /** Only a paused backfill has a day to skip; a skip sent while it runs is dropped. */
  skip(): void {
    if (this.progress.paused) this.skipAsked = true;
  }

  /**
   * The lane request for the current day, which becomes `current`. An earlier outcome of the day
   * (before a resume) is forgotten, so only this run's counts. Only the last day asks for the
   * cascade, so the cascade never races the range.
   */
  startDay(requester: string): RunRequest {
    const day = this.day;
    this.progress.current = day;
    this.finished.delete(day);
    return {
      day,
      kind: 'backfill',
      requestedBy: requester,
      notifyWorkflowId: requester,
      tenant: this.input.tenant,
      cascade: this.input.cascade && this.position === this.days.length - 1 ? true : undefined,
    };
  }

  /** Already queued or running for another requester: it runs in the lane's order anyway. */
  queuedByAnother(): void {
    this.progress.completed.push(this.day);
    this.position++;
  }

  /** The current day's run outcome, once the lane has told it. */
  outcome(): RunFinishedSignal | undefined {
    return this.finished.get(this.day);
  }

  /**
   * Takes the current day's outcome: a completed day moves the backfill on; a failed one pauses it
   * in place, and only a resume or skip sent from now on ends the pause.
   */
  dayFinished(outcome: RunFinishedSignal): void {
    if (outcome.status === 'completed') {
      this.progress.completed.push(this.day);
      this.position++;
      return;
    }
    this.progress.failed.push(this.day);
    this.progress.paused = true;
    this.progress.pausedReason = `${outcome.errorType ? `${outcome.errorType}: ` : ''}${outcome.error ?? 'failed'}`;
    this.progress.pausedRun = outcome.workflowId || undefined;
    this.resumeAsked = false;
    this.skipAsked = false;
  }

  /** An operator resumed or skipped the paused day. */
  get decided(): boolean {
    return this.resumeAsked || this.skipAsked;
  }

  /** Ends the pause: a resume retries the day (it wins over a skip sent with it), a skip moves past it. */
  unpause(): void {
    this.progress.paused = false;
    this.progress.pausedReason = undefined;
    this.progress.pausedRun = undefined;
    if (this.skipAsked && !this.resumeAsked) {
      this.progress.skipped = [...(this.progress.skipped ?? []), this.day];
      this.position++;
    }
  }

  finish(): BackfillProgress {
    this.progress.current = undefined;
    return this.progress;
  }

  /** The workflow's current details at each point. */
  details(): string {
    if (this.done) return `Done: ${this.progress.completed.length} days`;
    if (this.progress.paused) {
      const outcome = this.outcome();
      return `Paused: ${this.day} failed (${outcome?.error ?? 'see the tenant-day run'}); signal resumeBackfill to retry it`;
    }
    return `Day ${this.position + 1}/${this.days.length}: ${this.day}`;
  }
}
