/** Pure helpers of bench/scale-out.bench.ts: what the backlog samples of one wave say. */

export interface BacklogSample {
  /** Seconds since the wave's first start. */
  atS: number;
  total: number;
  byType: Record<string, number>;
  /** Runs of the wave completed by then. */
  completed: number;
}

export interface BacklogSummary {
  peak: number;
  peakAtS: number;
  /** The last sample's backlog, taken after every run of the wave had completed. */
  final: number;
  /** Whether the backlog rose above zero and came back to it: the shape a queue-depth scaler acts on. */
  roseAndFell: boolean;
  samples: number;
}

export function summarizeBacklog(samples: readonly BacklogSample[]): BacklogSummary {
  let peak = 0;
  let peakAtS = 0;
  for (const s of samples) {
    if (s.total > peak) {
      peak = s.total;
      peakAtS = s.atS;
    }
  }
  const final = samples.length ? samples[samples.length - 1].total : 0;
  return { peak, peakAtS, final, roseAndFell: peak > 0 && final === 0, samples: samples.length };
}

/** One line per sample, with a bar scaled to the wave's peak: the backlog over time at a glance. */
export function backlogTimeline(samples: readonly BacklogSample[], width = 40): string[] {
  const peak = Math.max(1, ...samples.map((s) => s.total));
  return samples.map((s) => {
    const types = Object.entries(s.byType)
      .filter(([, n]) => n > 0)
      .map(([type, n]) => `${type} ${n}`)
      .join(', ');
    const bar = '#'.repeat(Math.round((s.total / peak) * width));
    const done = `${String(s.completed).padStart(3)} done`;
    return `${`t=${s.atS.toFixed(0)}s`.padStart(7)} ${done} ${String(s.total).padStart(4)} ${bar}${types ? `  (${types})` : ''}`;
  });
}

/** Share of the machine's CPU time that was busy between two readings of /proc/stat's first line. */
export function busyShare(before: readonly number[], after: readonly number[]): number | undefined {
  if (before.length < 4 || before.length !== after.length) return undefined;
  const delta = after.map((v, i) => v - before[i]);
  const total = delta.reduce((a, b) => a + b, 0);
  // user nice system idle iowait ...: idle and iowait are the time nothing ran.
  const idle = delta[3] + (delta[4] ?? 0);
  return total > 0 ? (total - idle) / total : undefined;
}
