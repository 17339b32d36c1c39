import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { BackfillProgress } from './backfill-contracts';

/** The backfill workflow's messages, in their own module: the CLI sends and asks them without importing the workflow. */
export const backfillProgressQuery = defineQuery<BackfillProgress>('backfillProgress');
/** Retries the failed day a backfill paused on (`daybreak backfill ... --resume`). */
export const resumeBackfillSignal = defineSignal('resumeBackfill');
/** Moves a paused backfill past its failed day without recomputing it (`daybreak backfill ... --skip`). */
export const skipBackfillDaySignal = defineSignal('skipBackfillDay');
