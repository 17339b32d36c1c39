import { readFileSync, readdirSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.resolve(__dirname, '../..');
// What an operator runs: the code the environment table speaks for.
const SCANNED = ['src', 'scripts', 'bin', 'deploy/local'];
// Assigned in deploy/local/stack.env, never read from the environment: not a setting.
const CONSTANTS = new Set(['DAYBREAK_SEARCH_ATTRIBUTES']);

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    return statSync(full).isDirectory() ? files(full) : [full];
  });
}

/**
 * Every variable the code reads: any DAYBREAK_* name, and whatever TypeScript reads through an env
 * object (process.env, or the one readConfig is given, where the TEMPORAL_* profile variables are read).
 */
export function variablesInCode(): Map<string, string[]> {
  const found = new Map<string, string[]>();
  for (const file of SCANNED.flatMap((d) => files(path.join(root, d)))) {
    const text = readFileSync(file, 'utf8');
    const names = [
      ...text.matchAll(/\bDAYBREAK_[A-Z0-9_]+\b/g),
      ...text.matchAll(/\benv\.([A-Z_][A-Z0-9_]*)/g),
      ...text.matchAll(/\benv\[['"]([A-Z_][A-Z0-9_]*)['"]\]/g),
    ].map((m) => m[1] ?? m[0]);
    for (const name of names) {
      if (CONSTANTS.has(name)) continue;
      found.set(name, [...new Set([...(found.get(name) ?? []), path.relative(root, file)])]);
    }
  }
  return found;
}

/** The names in the first column of the README's environment-variable table. */
export function variablesInReadme(): Set<string> {
  const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
  const section = /^## Environment variables\n([\s\S]*?)(?=^## )/m.exec(readme)?.[1] ?? '';
  const names = new Set<string>();
  for (const row of section.split('\n').filter((l) => l.startsWith('|'))) {
    const first = row.split('|')[1] ?? '';
    for (const m of first.matchAll(/`([A-Z_][A-Z0-9_]*)`/g)) names.add(m[1]);
  }
  return names;
}

describe("the README's environment-variable table", () => {
  it('lists every variable the code reads', () => {
    const documented = variablesInReadme();
    const missing = [...variablesInCode()]
      .filter(([name]) => !documented.has(name))
      .map(([n, f]) => `${n} (${f.join(', ')})`);
    expect(missing).toEqual([]);
  });

  it('lists no variable the code does not read', () => {
    const read = variablesInCode();
    expect([...variablesInReadme()].filter((name) => !read.has(name))).toEqual([]);
  });
});
