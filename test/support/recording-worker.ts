import { appendFileSync } from 'node:fs';
import { NativeConnection, Worker } from '@temporalio/worker';
import { versionTaskQueue } from '../../src/shared/ids';
import { readConfig } from '../../src/workers/config';
import { recordingActivities } from './recording-activities';
import { WORKFLOWS_PATH } from './stack';

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
  // The suite runs in a namespace of its own (test/support/require-stack.ts): poll that one.
  const { address, namespace } = readConfig().temporal;
  const connection = await NativeConnection.connect({ address });
  const workers = await Promise.all(
    [base, versionTaskQueue(base, 'v1'), versionTaskQueue(base, 'v1', 'backfill')].map((taskQueue) =>
      Worker.create({
        connection,
        namespace,
        taskQueue,
        workflowsPath: WORKFLOWS_PATH,
        activities: recorder.activitiesFor(identity),
        identity,
      }),
    ),
  );
  process.stdout.write('ready\n');
  await Promise.all(workers.map((w) => w.run()));
  await connection.close();
}

main().catch((error: unknown) => {
  process.stderr.write(`${String(error)}\n`);
  process.exit(1);
});
