import { addDays } from '../common/days';
import { InvalidInputError } from '../common/errors';
import type { RunKind } from '../common/search-attributes';
import { HISTORY_DAYS } from './rolling';

/** One stored run whose output of an earlier day may stand for a run's history. */
export interface HistorySource {
  pipelineVersion: string;
  runKind: RunKind;
}

/** An earlier day and the runs to read it from, in order: the first that has the dataset wins. */
export interface HistoryDay {
  day: string;
  sources: HistorySource[];
}

export interface HistoryLookupInput {
  /** The day being computed (D). */
  day: string;
  /** The version being computed; its kind does not matter: a version's history is its own whichever kind ran. */
  pipelineVersion: string;
  /** The version the run is compared with (a shadow's primary), tried first for warm-up. */
  primaryPipelineVersion?: string;
  /** Every pipeline version the worker knows, in registry order (PIPELINE_VERSIONS). */
  knownVersions: readonly string[];
}

export interface HistoryPlan {
  /** D-1..D-HISTORY_DAYS, for the rolling windows; a day no source has counts as a day without events. */
  usage: HistoryDay[];
  /** D-1..D-ROLLING_LOOKBACK_DAYS, latest first: the first day found carries first/last activity. */
  rolling: HistoryDay[];
  /** D-1 only, for healthDelta, from the version's own runs only. */
  documents: HistoryDay;
}

/**
 * How far back the first/last-activity carry looks for a rolling state. Up to 30 days back the
 * carry is exact (the days after the state found are all inside the 29-day window); beyond that,
 * days between the state and D-29 are not read, which loses nothing when they failed before
 * writing their daily usage (a missing attribute snapshot, say). 90 days survives a quarter-long
 * outage; each day not found costs one existence check per source, checked ROLLING_PROBE_DAYS at a time.
 */
export const ROLLING_LOOKBACK_DAYS = 90;

/** Days whose rolling state is probed at once (existence checks only, so memory stays at one state). */
export const ROLLING_PROBE_DAYS = 30;

/** A version's own outputs of a day: the primary run's first (what was served), then the shadow run's. */
export function ownSources(pipelineVersion: string): HistorySource[] {
  return [
    { pipelineVersion, runKind: 'primary' },
    { pipelineVersion, runKind: 'shadow' },
  ];
}

/**
 * Where a version's state of an earlier day comes from: its own outputs (primary, then shadow),
 * then, for a day the version never ran (warm-up), the primary output of the run's
 * primaryPipelineVersion, then of every other known version in registry order. Only primary
 * outputs serve as warm-up: they are what the tenant was served that day. Deterministic.
 */
export function historySources(input: Omit<HistoryLookupInput, 'day'>): HistorySource[] {
  const { pipelineVersion, primaryPipelineVersion, knownVersions } = input;
  if (!knownVersions.includes(pipelineVersion)) {
    throw new InvalidInputError(`pipelineVersion ${pipelineVersion} is not one of ${knownVersions.join(', ')}`);
  }
  const warmUp = [primaryPipelineVersion, ...knownVersions].filter(
    (v, i, all): v is string => v !== undefined && v !== pipelineVersion && all.indexOf(v) === i,
  );
  return [...ownSources(pipelineVersion), ...warmUp.map((v) => ({ pipelineVersion: v, runKind: 'primary' as const }))];
}

/** Which stored runs each earlier day's daily usage, rolling state and documents are read from. */
export function planHistory(input: HistoryLookupInput): HistoryPlan {
  const sources = historySources(input);
  const daysBack = (n: number) => Array.from({ length: n }, (_, i) => addDays(input.day, -(i + 1)));
  return {
    usage: daysBack(HISTORY_DAYS).map((day) => ({ day, sources })),
    rolling: daysBack(ROLLING_LOOKBACK_DAYS).map((day) => ({ day, sources })),
    documents: { day: addDays(input.day, -1), sources: ownSources(input.pipelineVersion) },
  };
}
