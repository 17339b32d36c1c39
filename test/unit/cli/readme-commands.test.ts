import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { COMMANDS } from '../../../src/cli/commands';

// The README's table of `daybreak` commands, held to the option specs the CLI parses with.
const readme = readFileSync(path.resolve(__dirname, '../../../README.md'), 'utf8');
const section = /^## The `daybreak` command\n([\s\S]*?)(?=^## )/m.exec(readme)?.[1] ?? '';
const prose = section
  .split('\n')
  .filter((l) => !l.startsWith('|'))
  .join('\n');

/** What the table's first column says of each command: its words and its --flags. */
function documented(): Map<string, { words: Set<string>; flags: Set<string> }> {
  const out = new Map<string, { words: Set<string>; flags: Set<string> }>();
  for (const row of section.split('\n').filter((l) => l.startsWith('| `'))) {
    const first = row.split(/(?<!\\)\|/)[1] ?? '';
    for (const [, span] of first.matchAll(/`([^`]+)`/g)) {
      const text = span.replace(/\\\|/g, '|');
      const [, name, ...rest] = text.split(/\s+/);
      const entry = out.get(name) ?? { words: new Set<string>(), flags: new Set<string>() };
      for (const word of rest.filter((w) => /^[a-z]/.test(w))) for (const w of word.split('|')) entry.words.add(w);
      for (const [flag] of text.matchAll(/--[a-z][a-z0-9-]*/g)) entry.flags.add(flag);
      out.set(name, entry);
    }
  }
  return out;
}

describe("the README's command table", () => {
  const table = documented();

  it('lists exactly the commands there are', () => {
    expect([...table.keys()].sort()).toEqual(COMMANDS.map((c) => c.spec.name).sort());
  });

  it.each(COMMANDS.map((c) => [c.spec.name, c.spec] as const))(
    '%s: every option and subcommand of the spec is in the table, and no other',
    (name, spec) => {
      const row = table.get(name);
      expect(row, `no row for daybreak ${name}`).toBeDefined();
      const own = spec.options.filter((o) => !o.common).map((o) => `--${o.name}`);
      const all = spec.options.map((o) => `--${o.name}`);
      expect(own.filter((f) => !row!.flags.has(f))).toEqual([]);
      expect([...row!.flags].filter((f) => !all.includes(f))).toEqual([]);
      for (const sub of spec.subcommands ?? []) expect(row!.words).toContain(sub.name);
    },
  );

  it('documents the options every command shares, and --help, once above the table', () => {
    for (const o of COMMANDS.flatMap((c) => c.spec.options).filter((o) => o.common))
      expect(prose).toContain(`--${o.name}`);
    expect(prose).toContain('--help');
  });
});
