import { builtinModules } from 'node:module';
import * as path from 'node:path';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

// The repository's own ESLint config, run on code that breaks a rule as if it were a file of the tree.
const root = path.resolve(__dirname, '../../..');
const eslint = new ESLint({ cwd: root });

async function ruleIds(code: string, file: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: path.join(root, file) });
  return result.messages.map((m) => `${m.ruleId ?? 'fatal'}: ${m.message}`);
}

describe('lint keeps the boundaries', () => {
  it("forbids workflow code every Node built-in (node:module's list), bare or node: prefixed", async () => {
    const config = (await eslint.calculateConfigForFile(
      path.join(root, 'src/workflows/tenant-days/tenant-day.ts'),
    )) as {
      rules: Record<string, [unknown, { paths: { name: string }[] }]>;
    };
    const forbidden = new Set(config.rules['no-restricted-imports'][1].paths.map((p) => p.name));
    expect(builtinModules.filter((m) => !m.startsWith('node:') && !forbidden.has(m))).toEqual([]);
    // The first two were not on the hand-written list this replaced.
    const messages = await ruleIds(
      [
        "import { Buffer } from 'buffer';",
        "import { readFile } from 'fs/promises';",
        "import { Worker } from 'node:worker_threads';",
        'export const x = [Buffer, readFile, Worker];',
      ].join('\n'),
      'src/workflows/tenant-days/tenant-day.ts',
    );
    expect(messages.filter((m) => m.startsWith('no-restricted-imports:'))).toHaveLength(3);
  }, 180_000);

  it('fails an import cycle (ids.ts imports days.ts; days.ts importing ids.ts closes the loop)', async () => {
    const messages = await ruleIds(
      "import { laneWorkflowId } from './ids';\nexport const lane = laneWorkflowId;\n",
      'src/common/days.ts',
    );
    expect(messages).toContain('import-x/no-cycle: Dependency cycle detected');
    // A type-only import is erased at runtime: no cycle.
    const typeOnly = await ruleIds(
      "import type { laneWorkflowId } from './ids';\nexport type Lane = typeof laneWorkflowId;\n",
      'src/common/days.ts',
    );
    expect(typeOnly.filter((m) => m.startsWith('import-x/no-cycle'))).toEqual([]);
  }, 180_000);
});
