import { describe, expect, it } from 'vitest';
import type { CommandSpec } from '../../src/cli/args';
import { UsageError, formatUsage, parseCommandLine, synopsis } from '../../src/cli/args';
import { COMMANDS } from '../../src/cli/commands';
import { closestName, editDistance } from '../../src/common/did-you-mean';
import { readConfig } from '../../src/workers/config';

const backfill: CommandSpec = {
  name: 'backfill',
  description: 'Recomputes a range of days.',
  options: [
    { name: 'tenant', placeholder: 'T', required: true, description: 'the tenant' },
    { name: 'from', placeholder: 'YYYY-MM-DD', required: true, description: 'first day' },
    { name: 'dry-run', kind: 'boolean', description: 'starts nothing' },
    { name: 'concurrency', kind: 'number', placeholder: 'N', description: 'at once' },
  ],
};
const rollout: CommandSpec = {
  name: 'rollout',
  description: 'Rollouts.',
  subcommands: [
    { name: 'start', required: ['candidate'] },
    { name: 'promote', required: ['candidate', 'reason'] },
  ],
  options: [
    { name: 'candidate', placeholder: 'V', description: 'the candidate' },
    { name: 'reason', placeholder: 'TEXT', description: 'why' },
  ],
};

function refusal(spec: CommandSpec, argv: string[]): string {
  try {
    parseCommandLine(spec, argv);
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).command).toBe(spec);
    return (error as Error).message;
  }
  throw new Error(`${argv.join(' ')} was accepted`);
}

describe('the strict command-line parser', () => {
  it('reads values and flags into the map the commands use', () => {
    const { args, help } = parseCommandLine(backfill, ['--tenant', 'acme', '--dry-run', '--from=2026-11-21']);
    expect([...args]).toEqual([
      ['tenant', 'acme'],
      ['from', '2026-11-21'],
      ['dry-run', 'true'],
    ]);
    expect(help).toBe(false);
  });

  it('refuses an unknown option with the one it most likely meant', () => {
    expect(refusal(backfill, ['--tenant', 'a', '--from', 'd', '--dry-rn'])).toBe(
      'unknown option --dry-rn (did you mean --dry-run?)',
    );
    expect(refusal(backfill, ['--tenat', 'acme'])).toBe('unknown option --tenat (did you mean --tenant?)');
    expect(refusal(backfill, ['--zzzzzz'])).toBe('unknown option --zzzzzz');
  });

  it('refuses a missing value, a value for a flag, a stray word and a malformed number', () => {
    expect(refusal(backfill, ['--from', 'd', '--tenant'])).toBe('--tenant T needs a value');
    expect(refusal(backfill, ['--tenant', '--from', 'd'])).toBe('--tenant T needs a value');
    expect(refusal(backfill, ['--tenant', 'a', '--from', 'd', '--dry-run=yes'])).toBe('--dry-run takes no value');
    expect(refusal(backfill, ['--tenant', 'a', '--from', 'd', '--dry-run', 'yes'])).toBe(
      'unexpected argument "yes" (--dry-run takes no value)',
    );
    expect(refusal(backfill, ['--tenant', 'a', '--from', 'd', '--concurrency', 'lots'])).toBe(
      '--concurrency "lots" must be a non-negative number',
    );
  });

  it('refuses missing required options, per subcommand too', () => {
    expect(refusal(backfill, ['--tenant', 'acme'])).toBe('--from is required');
    expect(refusal(rollout, ['promote', '--candidate', 'v2'])).toBe('--reason is required for rollout promote');
    expect(parseCommandLine(rollout, ['start', '--candidate', 'v2']).positionals).toEqual(['start']);
  });

  it('refuses a missing or unknown subcommand, with a suggestion', () => {
    expect(refusal(rollout, [])).toBe('rollout needs a subcommand: start, promote');
    expect(refusal(rollout, ['promot', '--candidate', 'v2'])).toBe(
      'unknown rollout subcommand "promot" (did you mean promote?)',
    );
    expect(refusal(rollout, ['start', 'now', '--candidate', 'v2'])).toBe('unexpected argument "now"');
  });

  it('answers --help and -h before anything else, even beside a mistake', () => {
    for (const argv of [['--help'], ['-h'], ['--tenat', 'x', '--help'], ['promote', '-h']])
      expect(parseCommandLine(argv[0] === 'promote' ? rollout : backfill, argv).help).toBe(true);
  });

  it('produces the usage from the same spec', () => {
    expect(synopsis(backfill)).toBe('daybreak backfill --tenant T --from YYYY-MM-DD [--dry-run] [--concurrency N]');
    const usage = formatUsage(rollout);
    expect(usage).toMatch(/^usage: daybreak rollout start\|promote \[--candidate V\] \[--reason TEXT\]/);
    expect(usage).toContain('promote');
    expect(usage).toContain('(needs --candidate, --reason)');
    expect(usage).toMatch(/-h, --help +prints this usage and exits/);
  });
});

describe('did you mean', () => {
  it.each([
    ['kitten', 'sitting', 3],
    ['', 'abc', 3],
    ['tenat', 'tenant', 1],
    ['dry-rn', 'dry-run', 1],
  ])('edit distance %j to %j is %i', (a, b, d) => {
    expect(editDistance(a, b)).toBe(d);
    expect(editDistance(b, a)).toBe(d);
  });

  it('suggests only a close name', () => {
    expect(closestName('statsu', ['status', 'rerun'])).toBe('status');
    expect(closestName('deploy', ['status', 'rerun'])).toBeUndefined();
  });
});

describe('the command specs', () => {
  it.each(COMMANDS.map((c) => [c.spec.name, c.spec] as const))('%s: names are unique and well formed', (_, spec) => {
    const names = spec.options.map((o) => o.name);
    expect(new Set(names).size).toBe(names.length);
    for (const name of names) expect(name).toMatch(/^[a-z][a-z0-9-]*$/);
    expect(names).not.toContain('help');
    for (const sub of spec.subcommands ?? []) for (const r of sub.required ?? []) expect(names).toContain(r);
    expect(formatUsage(spec)).toContain(synopsis(spec));
  });

  it('have unique command names', () => {
    const names = COMMANDS.map((c) => c.spec.name);
    expect(new Set(names).size).toBe(names.length);
  });
});

describe('configuration', () => {
  it('defaults to the local stack and follows port overrides', () => {
    const config = readConfig({ DAYBREAK_TEMPORAL_PORT: '17233', DAYBREAK_S3_PORT: '17070' });
    expect(config.temporal.address).toBe('127.0.0.1:17233');
    expect(config.s3.endpoint).toBe('http://127.0.0.1:17070');
    expect(config.elasticsearch.url).toBe('http://127.0.0.1:9200');
  });

  it('refuses a malformed limit by name', () => {
    expect(() => readConfig({ DAYBREAK_MAX_CONCURRENT_ACTIVITIES: 'lots' })).toThrow(
      /DAYBREAK_MAX_CONCURRENT_ACTIVITIES/,
    );
  });
});
