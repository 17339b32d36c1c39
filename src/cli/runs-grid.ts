import type { RunLedgerEntry } from '../workflows/run-ledger/run-ledger-contracts';

/** A duration as an operator reads it: 850ms, 12.3s, 4m05s, 1h02m. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)}s`;
  const totalS = Math.round(s);
  if (totalS < 3600) return `${Math.floor(totalS / 60)}m${String(totalS % 60).padStart(2, '0')}s`;
  const totalM = Math.round(totalS / 60);
  return `${Math.floor(totalM / 60)}h${String(totalM % 60).padStart(2, '0')}m`;
}

type Entry = Pick<
  RunLedgerEntry,
  'day' | 'pipelineVersion' | 'runKind' | 'state' | 'durationMs' | 'trigger' | 'requestedBy' | 'tasks' | 'attempts'
>;

/** A task's cell: its duration, `(aN)` after a retried activity, FAILED when it did not end. */
function cell(task: Entry['tasks'][number] | undefined): string {
  if (!task) return '-';
  const retried = task.attempt !== undefined && task.attempt > 1 ? ` (a${task.attempt})` : '';
  return task.state === 'failed'
    ? `FAILED ${formatDuration(task.durationMs)}`
    : formatDuration(task.durationMs) + retried;
}

/**
 * The days-by-tasks grid of `daybreak runs`: one row per day and run (version, kind), one column
 * per task in the order the runs started them, then the run's state, total duration, how many runs
 * of it there were (the latest shown, earlier ones counted) and who asked. Rows are sorted by day,
 * then primary before shadow.
 */
export function formatRunsGrid(entries: readonly Entry[]): string[] {
  if (entries.length === 0) return ['no runs recorded'];
  const rows = [...entries].sort(
    (a, b) =>
      a.day.localeCompare(b.day) ||
      (a.runKind === b.runKind ? 0 : a.runKind === 'primary' ? -1 : 1) ||
      a.pipelineVersion.localeCompare(b.pipelineVersion),
  );
  const tasks: string[] = [];
  for (const e of rows) for (const t of e.tasks) if (!tasks.includes(t.task)) tasks.push(t.task);
  const header = ['day', 'version', 'kind', ...tasks, 'state', 'total', 'runs', 'by'];
  const table = rows.map((e) => [
    e.day,
    e.pipelineVersion,
    e.runKind,
    ...tasks.map((name) => cell(e.tasks.find((t) => t.task === name))),
    e.state,
    formatDuration(e.durationMs),
    String(e.attempts.length + 1),
    e.requestedBy ? `${e.trigger}/${e.requestedBy}` : e.trigger,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...table.map((r) => r[i].length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return [line(header), ...table.map(line)];
}
