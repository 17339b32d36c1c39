/**
 * `npm run bench`: every benchmark the project has, each as a child process; arguments are passed on.
 * The scale-out benchmark needs the Temporal cluster profile: without one it prints that it was
 * skipped and why (--skip-without-cluster); `npm run bench:scale-out` alone fails instead. The peers
 * benchmark likewise skips when its Python venv is not installed (--skip-without-python), where
 * `npm run bench:peers` alone installs it first.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as path from 'node:path';

const BENCHMARKS: [file: string, args: string[]][] = [
  ['metrics.bench.ts', []],
  ['compare.bench.ts', []],
  ['scale-out.bench.ts', ['--skip-without-cluster']],
  // Spark and DuckDB are a ~760 MB install (bench/peers/setup.sh): without them, a SKIPPED line says how.
  ['peers.bench.ts', ['--skip-without-python']],
];
let failed = false;
for (const [file, args] of BENCHMARKS) {
  const full = path.join(__dirname, file);
  if (!existsSync(full)) continue;
  console.log(`\n== ${file}`);
  const child = spawnSync(process.execPath, [...process.execArgv, full, ...args, ...process.argv.slice(2)], {
    stdio: 'inherit',
  });
  if (child.status !== 0) {
    console.error(`${file} failed with status ${child.status}`);
    failed = true;
  }
}
process.exit(failed ? 1 : 0);
