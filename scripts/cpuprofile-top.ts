/**
 * Where a CPU profile's time goes: the top functions (or files) by self time, with their total
 * (inclusive) time, from the .cpuprofile files `node --cpu-prof` writes (one per thread).
 *
 *   npx tsx scripts/cpuprofile-top.ts /tmp/prof/*.cpuprofile            # all files summed
 *   npx tsx scripts/cpuprofile-top.ts --top 40 --by file /tmp/prof       # a directory: its .cpuprofile files
 *   npx tsx scripts/cpuprofile-top.ts --each /tmp/prof                   # one table per file (per thread)
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import * as path from 'node:path';

/** The part of V8's profile format (Chrome DevTools protocol, Profiler.Profile) used here. */
export interface CpuProfile {
  nodes: {
    id: number;
    callFrame: { functionName: string; url: string; lineNumber: number };
    children?: number[];
  }[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

export interface ProfileRow {
  key: string;
  selfMs: number;
  totalMs: number;
}

export type GroupBy = 'function' | 'file';

function fileOf(url: string): string {
  if (!url) return '(native)';
  const clean = url.replace(/^file:\/\//, '');
  const at = clean.lastIndexOf('/node_modules/');
  if (at >= 0) return clean.slice(at + 1);
  const cwd = process.cwd() + '/';
  return clean.startsWith(cwd) ? clean.slice(cwd.length) : clean;
}

function keyOf(frame: CpuProfile['nodes'][number]['callFrame'], by: GroupBy): string {
  // V8's pseudo-frames: (garbage collector), (program), (idle).
  if (!frame.url && frame.functionName.startsWith('(')) return frame.functionName;
  const file = fileOf(frame.url);
  if (by === 'file') return file;
  return `${frame.functionName || '(anonymous)'} ${file}${frame.url ? `:${frame.lineNumber + 1}` : ''}`;
}

/**
 * Self and total milliseconds per function (name, file and line) or per file. Sample i lasts until
 * sample i + 1 (timeDeltas[i + 1]); total time counts a key once per sample however often it is
 * on that sample's stack (recursion).
 */
export function summarizeProfiles(profiles: CpuProfile[], by: GroupBy = 'function'): ProfileRow[] {
  const rows = new Map<string, ProfileRow>();
  const row = (key: string) => {
    let r = rows.get(key);
    if (!r) rows.set(key, (r = { key, selfMs: 0, totalMs: 0 }));
    return r;
  };
  for (const profile of profiles) {
    const parent = new Map<number, number>();
    const byId = new Map(profile.nodes.map((n) => [n.id, n]));
    for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
    const samples = profile.samples ?? [];
    const deltas = profile.timeDeltas ?? [];
    for (let i = 0; i < samples.length; i++) {
      const ms = (deltas[i + 1] ?? 0) / 1000;
      if (ms <= 0) continue;
      const leaf = byId.get(samples[i]);
      if (!leaf) continue;
      row(keyOf(leaf.callFrame, by)).selfMs += ms;
      const seen = new Set<string>();
      for (let id: number | undefined = leaf.id; id !== undefined; id = parent.get(id)) {
        const key = keyOf(byId.get(id)!.callFrame, by);
        if (key === '(root)' || seen.has(key)) continue;
        seen.add(key);
        row(key).totalMs += ms;
      }
    }
  }
  return [...rows.values()].sort((a, b) => b.selfMs - a.selfMs || (a.key < b.key ? -1 : 1));
}

/** The top rows, percentages of the busy time: a thread waiting (idle) is left out and said apart. */
export function formatRows(rows: ProfileRow[], top: number): string[] {
  const idle = rows.find((r) => r.key === '(idle)')?.selfMs ?? 0;
  const busy = rows.filter((r) => r.key !== '(idle)');
  const all = busy.reduce((n, r) => n + r.selfMs, 0) || 1;
  const lines = [`${'self ms'.padStart(10)} ${'self %'.padStart(7)} ${'total %'.padStart(8)}  function / file`];
  for (const r of busy.slice(0, top)) {
    lines.push(
      `${r.selfMs.toFixed(0).padStart(10)} ${((100 * r.selfMs) / all).toFixed(1).padStart(7)} ${((100 * r.totalMs) / all).toFixed(1).padStart(8)}  ${r.key}`,
    );
  }
  lines.push(`${all.toFixed(0).padStart(10)} ms busy, ${idle.toFixed(0)} ms idle`);
  return lines;
}

function profileFiles(targets: string[]): string[] {
  return targets.flatMap((t) =>
    statSync(t).isDirectory()
      ? readdirSync(t)
          .filter((f) => f.endsWith('.cpuprofile'))
          .sort()
          .map((f) => path.join(t, f))
      : [t],
  );
}

function main(argv: string[]): void {
  let top = 25;
  let by: GroupBy = 'function';
  let each = false;
  const targets: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--top') top = Number(argv[++i]);
    else if (a === '--by') by = argv[++i] as GroupBy;
    else if (a === '--each') each = true;
    else targets.push(a);
  }
  if (!targets.length || !(top > 0) || (by !== 'function' && by !== 'file')) {
    console.error('usage: cpuprofile-top.ts [--top N] [--by function|file] [--each] <file.cpuprofile|dir>...');
    process.exit(2);
  }
  const files = profileFiles(targets);
  if (!files.length) throw new Error(`no .cpuprofile files in ${targets.join(', ')}`);
  const load = (f: string) => JSON.parse(readFileSync(f, 'utf8')) as CpuProfile;
  const groups = each ? files.map((f) => [f]) : [files];
  for (const group of groups) {
    console.log(`\n${group.join(', ')}`);
    for (const line of formatRows(summarizeProfiles(group.map(load), by), top)) console.log(line);
  }
}

if (require.main === module) main(process.argv.slice(2));
