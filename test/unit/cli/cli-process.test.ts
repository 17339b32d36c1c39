import type { SpawnSyncReturns } from 'node:child_process';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { COMMANDS } from '../../../src/cli/commands';

// The real `daybreak` command, as an operator runs it: from a folder that is not the clone, with a
// Temporal address nothing listens on, so a command that ran instead of refusing could not act.
const BIN = path.resolve(__dirname, '../../../bin/daybreak');

function sandbox() {
  const cwd = mkdtempSync(path.join(tmpdir(), 'daybreak-cli-'));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DAYBREAK_FS_ROOT: path.join(cwd, 'store'),
    DAYBREAK_TEMPORAL_ADDRESS: '127.0.0.1:1',
    DAYBREAK_ES_URL: 'http://127.0.0.1:1',
  };
  delete env.DAYBREAK_TENANTS_FILE;
  return { cwd, env };
}

function daybreak(args: string[], box = sandbox()): SpawnSyncReturns<string> & { cwd: string } {
  return { ...spawnSync(BIN, args, { cwd: box.cwd, env: box.env, encoding: 'utf8', timeout: 60_000 }), cwd: box.cwd };
}

/** The same, without blocking: several at once on a slow machine. */
function daybreakAsync(
  args: string[],
  box = sandbox(),
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(BIN, args, { cwd: box.cwd, env: box.env });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

describe('bin/daybreak checks its command line before anything starts', () => {
  it('generate --help prints the usage and writes nothing', () => {
    const run = daybreak(['generate', '--help']);
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/^usage: daybreak generate /);
    expect(run.stdout).toContain('--events-per-day E');
    expect(readdirSync(run.cwd)).toEqual([]);
  });

  it('--help and -h of every command print its usage and exit 0', async () => {
    const runs = await Promise.all(COMMANDS.map(({ spec }, i) => daybreakAsync([spec.name, i % 2 ? '-h' : '--help'])));
    COMMANDS.forEach(({ spec }, i) => {
      expect(runs[i].code, `${spec.name}: ${runs[i].stderr}`).toBe(0);
      expect(runs[i].stdout).toMatch(new RegExp(`^usage: daybreak ${spec.name}`));
    });
  });

  it('status --tenat acme fails with the usage and a suggestion', () => {
    const run = daybreak(['status', '--tenat', 'acme']);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('unknown option --tenat (did you mean --tenant?)');
    expect(run.stderr).toContain('usage: daybreak status');
    expect(run.stdout).toBe('');
  });

  it('backfill --dry-rn fails instead of starting a backfill', () => {
    const run = daybreak(['backfill', '--tenant', 'acme', '--from', '2026-11-01', '--to', '2026-11-02', '--dry-rn']);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('unknown option --dry-rn (did you mean --dry-run?)');
    expect(run.stdout).toBe('');
  });

  it('a missing value fails with the usage', () => {
    const run = daybreak(['rerun', '--day', '2026-11-21', '--tenant']);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('--tenant T needs a value');
    expect(run.stderr).toContain('usage: daybreak rerun');
  });

  it('no command exits non-zero with the command list; an unknown one with a suggestion', () => {
    const none = daybreak([]);
    expect(none.status).toBe(2);
    for (const { spec } of COMMANDS) expect(none.stderr).toContain(`daybreak ${spec.name}`);
    const typo = daybreak(['statsu']);
    expect(typo.status).toBe(2);
    expect(typo.stderr).toContain('unknown command "statsu" (did you mean status?)');
    expect(daybreak(['help']).status).toBe(0);
  });

  it("tenants list finds the clone's tenants file from another folder", () => {
    const run = daybreak(['tenants', 'list']);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/^acme +America\/New_York/);
  });

  it('does not crash when its reader goes away (daybreak ... | head -1)', async () => {
    const box = sandbox();
    // Far more than a pipe buffer holds, so writes are still under way when the reader leaves.
    const file = path.join(box.cwd, 'tenants.json');
    writeFileSync(
      file,
      JSON.stringify({ tenants: Array.from({ length: 5000 }, (_, i) => ({ id: `t${i}`, timeZone: 'UTC' })) }),
    );
    const child = spawn(BIN, ['tenants', 'list', '--tenants-file', file], { cwd: box.cwd, env: box.env });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout.once('data', () => child.stdout.destroy());
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(stderr).not.toContain('EPIPE');
    expect(code).toBe(0);
    expect(existsSync(path.join(box.cwd, 'store'))).toBe(false);
  });
});
