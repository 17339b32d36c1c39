import { afterAll, afterEach } from 'vitest';
import { takeHeldLogLines } from './held-logs';

// Unit setup file: what testLogger held during a test is printed only if the test failed.
afterEach((context) => {
  const lines = takeHeldLogLines();
  if (context.task.result?.state === 'fail' && lines.length)
    process.stderr.write(`--- logs of "${context.task.name}" ---\n${lines.join('\n')}\n`);
});

// What beforeAll/afterAll hooks logged belongs to no test: printed only if the file had a failure.
afterAll((suite) => {
  const lines = takeHeldLogLines();
  if (suite.tasks.some((t) => t.result?.state === 'fail') && lines.length)
    process.stderr.write(`--- logs of ${suite.name} (hooks) ---\n${lines.join('\n')}\n`);
});
