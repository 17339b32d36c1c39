/** `npm run bench`: every benchmark the project has, each as a child process; arguments are passed on. */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as path from 'node:path';

const BENCHMARKS = ['metrics.bench.ts', 'compare.bench.ts'];
let failed = false;
for (const file of BENCHMARKS) {
  const full = path.join(__dirname, file);
  if (!existsSync(full)) continue;
  console.log(`\n== ${file}`);
  const child = spawnSync(process.execPath, [...process.execArgv, full, ...process.argv.slice(2)], {
    stdio: 'inherit',
  });
  if (child.status !== 0) {
    console.error(`${file} failed with status ${child.status}`);
    failed = true;
  }
}
process.exit(failed ? 1 : 0);
