import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { Connection } from '@temporalio/client';

/**
 * A Temporal dev server of a test's own: the binary and flags the local stack uses
 * (deploy/local/stack.sh), on 127.0.0.1 and a free port, persisting to a SQLite file in the test's
 * temp dir, so the test can SIGKILL it and start it again on the same file and port. The shared dev
 * server on 7233 is never touched.
 */
const STACK = path.resolve(__dirname, '../../deploy/local');

/** Daybreak's search attributes, as the stack registers them (deploy/local/stack.env). */
export function stackSearchAttributes(): string[] {
  const env = readFileSync(path.join(STACK, 'stack.env'), 'utf8');
  const line = /^DAYBREAK_SEARCH_ATTRIBUTES="([^"]*)"/m.exec(env);
  if (!line) throw new Error(`no DAYBREAK_SEARCH_ATTRIBUTES in ${STACK}/stack.env`);
  return line[1].split(/\s+/).filter(Boolean);
}

export function temporalBinary(): string {
  return execFileSync('bash', [path.join(STACK, 'stack.sh'), 'temporal-path'], { encoding: 'utf8' }).trim();
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer().once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export interface PrivateTemporal {
  address: string;
  namespace: string;
  /** Starts the server (again) on the same port and SQLite file; resolves once it answers. */
  start(): Promise<void>;
  /** SIGKILLs the server; resolves with the time of the kill once it has exited. */
  kill(): Promise<number>;
  logTail(lines?: number): string;
}

export async function privateTemporal(options: { dir: string; namespace: string }): Promise<PrivateTemporal> {
  const port = await freePort();
  const address = `127.0.0.1:${port}`;
  const logFile = path.join(options.dir, 'temporal.log');
  const binary = temporalBinary();
  const args = [
    'server',
    'start-dev',
    '--ip',
    '127.0.0.1',
    '--port',
    String(port),
    '--headless',
    '--db-filename',
    path.join(options.dir, 'temporal.sqlite'),
    '--namespace',
    options.namespace,
    ...stackSearchAttributes().flatMap((sa) => ['--search-attribute', sa]),
    '--dynamic-config-value',
    'frontend.enableUpdateWorkflowExecution=true',
    '--dynamic-config-value',
    'frontend.enableExecuteMultiOperation=true',
    '--log-level',
    'warn',
  ];
  let child: ChildProcess | undefined;
  let exit: Promise<void> = Promise.resolve();
  const logTail = (lines = 30) => readFileSync(logFile, 'utf8').split('\n').slice(-lines).join('\n');

  async function waitUntilServing(): Promise<void> {
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (child && child.exitCode !== null)
        throw new Error(`the private Temporal server exited; its log:\n${logTail()}`);
      try {
        const connection = await Connection.connect({ address, connectTimeout: 1_000 });
        try {
          await connection.workflowService.describeNamespace({ namespace: options.namespace });
          return;
        } finally {
          await connection.close();
        }
      } catch (error) {
        if (Date.now() > deadline)
          throw new Error(`the private Temporal server at ${address} did not come up: ${String(error)}\n${logTail()}`);
        await new Promise((r) => setTimeout(r, 250));
      }
    }
  }

  return {
    address,
    namespace: options.namespace,
    logTail,
    async start() {
      const out = openSync(logFile, 'a');
      const started = spawn(binary, args, { stdio: ['ignore', out, out], detached: true });
      closeSync(out);
      child = started;
      exit = new Promise((resolve) => started.once('exit', () => resolve()));
      await waitUntilServing();
    },
    async kill() {
      const at = Date.now();
      if (child && child.exitCode === null && child.signalCode === null) {
        try {
          process.kill(-child.pid!, 'SIGKILL');
        } catch {
          // already gone
        }
        await exit;
      }
      return at;
    },
  };
}
