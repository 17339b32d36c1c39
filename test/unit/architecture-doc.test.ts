import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const root = path.resolve(__dirname, '../..');

/** The folders the doc's "Folder map" block names, as `src/...` without the trailing slash. */
function foldersInDoc(): string[] {
  const doc = readFileSync(path.join(root, 'docs/architecture.md'), 'utf8');
  const section = doc.split(/^## Folder map$/m)[1];
  if (section === undefined) throw new Error('docs/architecture.md has no "## Folder map" section');
  const block = /```\n([\s\S]*?)```/.exec(section);
  if (block === null) throw new Error('docs/architecture.md: the folder map is not a fenced block');
  return block[1]
    .split('\n')
    .map((line) => /^(src\/\S*?)\/?(\s|$)/.exec(line)?.[1])
    .filter((folder): folder is string => folder !== undefined);
}

/** Every folder under src/ that holds a file somewhere below it (git keeps no empty folders). */
function foldersInTree(dir = 'src'): string[] {
  const entries = readdirSync(path.join(root, dir), { withFileTypes: true });
  const below = entries.filter((e) => e.isDirectory()).flatMap((e) => foldersInTree(`${dir}/${e.name}`));
  return entries.some((e) => e.isFile()) || below.length > 0 ? [dir, ...below] : below;
}

describe('docs/architecture.md', () => {
  it('names every folder under src/, and only folders that exist', () => {
    const doc = foldersInDoc();
    const tree = foldersInTree().filter((folder) => folder !== 'src');
    expect({
      missingFromDoc: tree.filter((f) => !doc.includes(f)),
      notInTree: doc.filter((f) => !tree.includes(f)),
    }).toEqual({ missingFromDoc: [], notInTree: [] });
  });

  it('sandbox lint reaches into capability folders: a value import of an activity is an error', async () => {
    const eslint = new ESLint({ cwd: root });
    // Linted as if it were a file of the tree that exists (typed linting needs one in the project).
    const [capability] = foldersInTree('src/workflows').filter((f) => f !== 'src/workflows');
    if (capability === undefined) throw new Error('src/workflows has no capability folder');
    const file = readdirSync(path.join(root, capability)).find((name) => name.endsWith('.ts'));
    if (file === undefined) throw new Error(`${capability} has no .ts file`);
    const [result] = await eslint.lintText(
      "import * as activities from '../../activities';\nexport const x = activities;\n",
      { filePath: path.join(root, capability, file) },
    );
    expect(result.messages.map((m) => m.ruleId)).toContain('no-restricted-imports');
  }, 180_000);
});
