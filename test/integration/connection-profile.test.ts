import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { NativeConnection } from '@temporalio/worker';
import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { taskQueueBacklog } from '../../src/client/task-queues';
import { waitUntil } from '../../src/client/wait-until';
import { createNativeConnection } from '../../src/workers/clients';
import { readConfig } from '../../src/workers/config';
import type { MtlsProxy, TestPki } from '../support/mtls-proxy';
import { makeTestPki, startMtlsProxy } from '../support/mtls-proxy';
import type { Stack } from '../support/stack';
import { connectStack, uniqueName } from '../support/stack';
import { targetOf } from '../support/tcp-proxy';

/**
 * The worker and the CLI reach Temporal through a connection profile alone (TEMPORAL_CONFIG_FILE,
 * TEMPORAL_PROFILE), as they would a self-hosted cluster with mTLS or Temporal Cloud. Their
 * environment has no DAYBREAK_TEMPORAL_ADDRESS or _NAMESPACE, and DAYBREAK_TEMPORAL_PORT points the
 * default address at a dead port: only the profile can get them to the server and the run's namespace.
 * The mTLS server is the shared dev server behind an mTLS-terminating proxy (start-dev has no TLS flags).
 */

const ROOT = path.resolve(__dirname, '../..');
const SERVER_NAME = 'temporal.daybreak.test';
const API_KEY = 'profile-test-api-key-never-printed';

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

let stack: Stack;
let namespace: string;
let dir: string;
let pki: TestPki;
let proxy: MtlsProxy;
let profiles: string;
const closers: (() => Promise<void>)[] = [];

/** The environment of a process that knows Temporal only from its profile. */
function profileEnv(extra: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, DAYBREAK_TEMPORAL_PORT: '1', ...extra };
  for (const name of Object.keys(env))
    if (name === 'DAYBREAK_TEMPORAL_ADDRESS' || name === 'DAYBREAK_TEMPORAL_NAMESPACE' || name.startsWith('TEMPORAL_'))
      if (!(name in extra)) delete env[name];
  return env;
}

function daybreak(env: NodeJS.ProcessEnv, args: string[]): Promise<Outcome> {
  return new Promise((resolve) => {
    execFile(
      path.join(ROOT, 'bin/daybreak'),
      args,
      { env, cwd: ROOT, timeout: 90_000, killSignal: 'SIGKILL' },
      (error, stdout, stderr) => {
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr });
      },
    );
  });
}

/** A worker with one no-op activity polling `taskQueue` in the run's namespace, over `connection`; resolves once the server sees it poll. */
async function pollingWorker(connection: NativeConnection, taskQueue: string): Promise<void> {
  const worker = await Worker.create({ connection, namespace, taskQueue, activities: { noop: async () => {} } });
  const running = worker.run();
  closers.push(async () => {
    worker.shutdown();
    await running;
  });
  await waitUntil(async () => (await taskQueueBacklog(stack.client, taskQueue)).pollers > 0, {
    what: `a poller on ${taskQueue}`,
    timeoutMs: 30_000,
    intervalMs: 200,
  });
}

/** `daybreak status` for one made-up tenant, on `taskQueue`, with v1 only: a short run that needs the server. */
function status(env: NodeJS.ProcessEnv, taskQueue: string): Promise<Outcome> {
  const tenants = path.join(dir, 'tenants.json');
  return daybreak(
    { ...env, DAYBREAK_TASK_QUEUE: taskQueue, DAYBREAK_PIPELINE_VERSIONS: 'v1', DAYBREAK_TENANTS_FILE: tenants },
    ['status', '--timeout', '20'],
  );
}

function pollersLine(out: Outcome, taskQueue: string): string | undefined {
  return out.stdout.split('\n').find((l) => l.trim().startsWith(`${taskQueue} `));
}

beforeAll(async () => {
  stack = await connectStack();
  namespace = stack.client.options.namespace;
  dir = mkdtempSync(path.join(tmpdir(), 'daybreak-profile-'));
  const tenantId = uniqueName('profile');
  writeFileSync(
    path.join(dir, 'tenants.json'),
    JSON.stringify({
      tenants: [{ id: tenantId, displayName: tenantId, timeZone: 'Europe/Berlin', runHour: 1, badDataPolicy: 'fail' }],
    }),
  );
  pki = makeTestPki(dir, SERVER_NAME);
  proxy = await startMtlsProxy(pki, targetOf(`http://${stack.config.temporal.address}`));
  profiles = path.join(dir, 'temporal.toml');
  writeFileSync(
    profiles,
    `# As an operator writes it (or \`temporal config set --profile ...\`).
[profile.local]
address = "${stack.config.temporal.address}"
namespace = "${namespace}"

[profile.selfhosted]
address = "${proxy.address}"
namespace = "${namespace}"
[profile.selfhosted.tls]
server_name = "${SERVER_NAME}"
server_ca_cert_path = "${pki.caCert}"
client_cert_path = "${pki.clientCert}"
client_key_path = "${pki.clientKey}"

[profile.nocert]
address = "${proxy.address}"
namespace = "${namespace}"
api_key = "${API_KEY}"
[profile.nocert.tls]
server_name = "${SERVER_NAME}"
server_ca_cert_path = "${pki.caCert}"
`,
  );
});

afterAll(async () => {
  for (const close of closers.reverse()) await close().catch(() => undefined);
  await proxy?.close();
  await stack?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('connection profiles against the running stack', () => {
  it('the CLI reaches the server and the namespace of a profile file alone', async () => {
    const queue = uniqueName('profile-local');
    await pollingWorker(stack.connection, queue);
    const out = await status(profileEnv({ TEMPORAL_CONFIG_FILE: profiles, TEMPORAL_PROFILE: 'local' }), queue);
    expect(out.stderr).toBe('');
    expect(out.code).toBe(0);
    // The poller is seen only in the run's namespace: the profile's, as nothing else names it.
    expect(pollersLine(out, queue)).toMatch(/pollers 1$/);
  });

  it("a worker's native connection and the CLI connect with the profile's mTLS; the proxy saw their client certificate", async () => {
    const env = profileEnv({ TEMPORAL_CONFIG_FILE: profiles, TEMPORAL_PROFILE: 'selfhosted' });
    const config = readConfig(env);
    expect(config.temporal.address).toBe(proxy.address);
    const queue = uniqueName('profile-mtls');
    const connection = await createNativeConnection(config.temporal);
    closers.push(() => connection.close());
    await pollingWorker(connection, queue);
    const acceptedByWorker = proxy.accepted.length;
    expect(acceptedByWorker).toBeGreaterThan(0);

    const out = await status(env, queue);
    expect(out.stderr).toBe('');
    expect(out.code).toBe(0);
    expect(pollersLine(out, queue)).toMatch(/pollers 1$/);
    expect(proxy.accepted.length).toBeGreaterThan(acceptedByWorker);
    expect(new Set(proxy.accepted)).toEqual(new Set(['daybreak-worker']));
  });

  it('without the client certificate the server refuses it, and the error names the profile, never the API key', async () => {
    const refusedBefore = proxy.refused.length;
    const out = await status(profileEnv({ TEMPORAL_CONFIG_FILE: profiles, TEMPORAL_PROFILE: 'nocert' }), 'unused');
    expect(out.code).toBe(1);
    expect(out.stderr).toContain(
      `cannot reach the Temporal server at ${proxy.address} (from profile "nocert" of ${profiles}, TLS, API key)`,
    );
    expect(out.stderr + out.stdout).not.toContain(API_KEY);
    expect(proxy.refused.length).toBeGreaterThan(refusedBefore);
  });

  it('a profile file that is not there is an error naming TEMPORAL_CONFIG_FILE, not a silent fallback', async () => {
    const missing = path.join(dir, 'absent.toml');
    const out = await status(profileEnv({ TEMPORAL_CONFIG_FILE: missing, TEMPORAL_PROFILE: 'local' }), 'unused');
    expect(out.code).toBe(1);
    expect(out.stderr.trim()).toBe(`daybreak: TEMPORAL_CONFIG_FILE=${missing}: no such file`);
  });
});
