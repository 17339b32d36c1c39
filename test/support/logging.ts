import type { Logger } from '@temporalio/common';
import { Runtime } from '@temporalio/worker';
import { readConfig } from '../../src/workers/config';
import { createLogger } from '../../src/workers/logging';
import { holdLogLine } from './held-logs';

// Tests are quiet unless one fails: lines are held per test (test/support/quiet-logs.setup.ts prints
// them for a failure). DAYBREAK_LOG_LEVEL (default INFO) chooses what is held, DAYBREAK_LOG_FORMAT
// (default pretty here) how it is printed.
const settings = readConfig().log;

/** The logger for tests: pass it to MockActivityEnvironment and bundleWorkflowCode. */
export const testLogger: Logger = createLogger({
  format: settings.format ?? 'pretty',
  level: settings.level ?? 'INFO',
  write: holdLogLine,
});

/**
 * Makes testLogger the Temporal runtime's logger, for a unit test file that creates workers (replay
 * included): call it at the top of the file, before any worker or connection exists.
 */
export function installTestLogger(): void {
  Runtime.install({ logger: testLogger, telemetryOptions: { logging: { filter: 'ERROR', forward: {} } } });
}
