import { appendFileSync } from 'node:fs';
import { composeWorkers } from '../../src/workers/compose';
import { readConfig } from '../../src/workers/config';
import { SDK_DEFAULT_ACTIVITY_SLOTS, recordingActivities } from './recording-activities';

/**
 * A worker process for orchestration tests: real workflows, recording activities. Each finished
 * tenant-day run is appended as a JSON line to the output file, so a test can read what several
 * processes did. Usage: tsx test/support/recording-worker.ts <base task queue> <identity> <out file>
 */
async function main(): Promise<void> {
  const [base, identity, outFile] = process.argv.slice(2);
  const recorder = recordingActivities({
    delayMs: Number(process.env.RECORDING_DELAY_MS ?? 200),
    onRunEnd: (run) => appendFileSync(outFile, JSON.stringify(run) + '\n'),
  });
  // The suite runs in a namespace of its own (test/support/require-stack.ts), which readConfig() names.
  const composition = await composeWorkers({
    config: readConfig(),
    // Not the configured slots: each run's record lives in the memory of the process that planned it.
    layout: { taskQueue: base, versions: ['v1'], coordination: true, ...SDK_DEFAULT_ACTIVITY_SLOTS },
    activities: recorder.activitiesFor(identity),
    identity,
  });
  process.stdout.write('ready\n');
  await composition.run();
}

main().catch((error: unknown) => {
  process.stderr.write(`${String(error)}\n`);
  process.exit(1);
});
