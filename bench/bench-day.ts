/**
 * The generated tenant-day that bench:metrics and bench:peers share: one cache folder per size, so
 * whichever benchmark runs first generates it and the other reuses it. Both must generate it the
 * same way (day, seed), or a cached day would not be the one the other benchmark asked for.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { generate } from '../src/generator/generate';
import { FsObjectStore } from '../src/storage/fs-object-store';

export const BENCH_DAY = '2026-03-10';
const SEED = 'bench-metrics';

export interface BenchDay {
  root: string;
  tenantId: string;
  timeZone: string;
  events: number;
  /** Absent when the day was generated without measuring (bench:peers). */
  genSeconds?: number;
  genPeakRssMb?: number;
}

function seconds(since: bigint): number {
  return Number(process.hrtime.bigint() - since) / 1e9;
}

/**
 * The generated day of (events, accounts), generated once into the shared cache by running `script`
 * with `--generate <folder> --events N --accounts A` (its main must call generateInto), in a child
 * process so the generator's memory is not the caller's peak RSS, into a temporary folder renamed
 * when complete, so a cut-short run leaves nothing that looks complete. `logGenerated` prints how
 * long the child took (bench:peers; bench:metrics' child prints its own measured line).
 */
export function benchDay(input: {
  events: number;
  accounts: number;
  script: string;
  logGenerated?: boolean;
}): BenchDay {
  const { events, accounts, script } = input;
  const cache = path.join(process.env.TMPDIR ?? tmpdir(), 'daybreak-bench-cache');
  const root = path.join(cache, `${events}-${accounts}-${SEED}`);
  const marker = path.join(root, 'generated.json');
  if (!existsSync(marker)) {
    mkdirSync(cache, { recursive: true });
    const partial = `${root}.tmp-${process.pid}`;
    const started = process.hrtime.bigint();
    const gen = spawnSync(
      process.execPath,
      [...process.execArgv, script, '--generate', partial, '--events', String(events), '--accounts', String(accounts)],
      { stdio: ['ignore', 'inherit', 'inherit'] },
    );
    if (gen.status !== 0)
      throw new Error(`generating ${events} events for ${accounts} accounts failed (status ${gen.status})`);
    rmSync(root, { recursive: true, force: true });
    renameSync(partial, root);
    if (input.logGenerated)
      console.log(`generated ${events} events, ${accounts} accounts into ${root} in ${seconds(started).toFixed(1)} s`);
  }
  return { root, ...(JSON.parse(readFileSync(marker, 'utf8')) as Omit<BenchDay, 'root'>) };
}

/**
 * The `--generate` child's work: the day into `root` and its generated.json marker. With `measure`
 * the marker also holds the generator's time and peak RSS (this process only generates, so its peak
 * is the generator's), and a line says them.
 */
export async function generateInto(input: {
  root: string;
  events: number;
  accounts: number;
  measure?: boolean;
}): Promise<void> {
  const { root, events, accounts } = input;
  const started = process.hrtime.bigint();
  const summary = await generate(
    { tenants: 1, days: 1, eventsPerDay: events, accounts, seed: SEED, startDay: BENCH_DAY },
    new FsObjectStore(root),
  );
  const tenant = summary.tenants[0];
  const plain = { tenantId: tenant.id, timeZone: tenant.timeZone, events: summary.events };
  const marker: Omit<BenchDay, 'root'> = input.measure
    ? {
        ...plain,
        genSeconds: Number(seconds(started).toFixed(1)),
        genPeakRssMb: Number((process.resourceUsage().maxRSS / 1024).toFixed(1)), // maxRSS is in KiB
      }
    : plain;
  writeFileSync(path.join(root, 'generated.json'), JSON.stringify(marker) + '\n');
  if (input.measure)
    console.log(
      `generated ${summary.events} events for ${accounts} accounts in ${marker.genSeconds} s, peak RSS ${marker.genPeakRssMb} MB`,
    );
}
