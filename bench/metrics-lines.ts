/**
 * The machine-readable end of bench:metrics' output (pure): per-step seconds from the timed
 * activity calls, and the key=value lines, written and read back (bench:peers, scripts, tests).
 */

/** One timed activity call, seconds from the start of the job. */
export interface TimedCall {
  /** What the call did: plan, plan_buckets, aggregate, a task name, or a documents phase. */
  step: string;
  startS: number;
  endS: number;
}

/** `daily-usage` -> `daily_usage`: a step name as it appears in a key. */
export function stepKey(step: string): string {
  return step
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_|_$/g, '');
}

/**
 * Wall seconds per step: from its first call's start to its last call's end, so a step of B bucket
 * calls run side by side counts once, in the order the steps started.
 */
export function stepSeconds(calls: readonly TimedCall[]): [step: string, seconds: number][] {
  const spans = new Map<string, { start: number; end: number }>();
  for (const c of [...calls].sort((a, b) => a.startS - b.startS)) {
    const key = stepKey(c.step);
    const span = spans.get(key);
    if (!span) spans.set(key, { start: c.startS, end: c.endS });
    else span.end = Math.max(span.end, c.endS);
  }
  return [...spans].map(([step, { start, end }]) => [step, end - start]);
}

export type LineValue = string | number | boolean;

/** `key=value` lines in the given order; numbers as given (round them before). */
export function keyValueLines(fields: readonly [key: string, value: LineValue][]): string[] {
  return fields.map(([key, value]) => {
    if (!/^[a-z][a-z0-9_]*$/.test(key))
      throw new Error(`bench key ${JSON.stringify(key)} is not a lowercase identifier`);
    const text = String(value);
    if (/[\s=]/.test(text)) throw new Error(`bench value of ${key} ${JSON.stringify(text)} has a space or "="`);
    return `${key}=${text}`;
  });
}

/**
 * The key=value lines of a benchmark's output, one record per run: a run starts at each `events=`
 * line (every size prints it first), so the output of several sizes gives several records.
 * Other lines (prose) are ignored.
 */
export function parseKeyValueRuns(output: string): Record<string, string>[] {
  const runs: Record<string, string>[] = [];
  for (const line of output.split('\n')) {
    const match = /^([a-z][a-z0-9_]*)=(\S*)$/.exec(line.trim());
    if (!match) continue;
    const [, key, value] = match;
    if (key === 'events' || runs.length === 0) runs.push({});
    runs[runs.length - 1][key] = value;
  }
  return runs;
}
