import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT, readConfig } from '../../../src/workers/config';
import { DEPLOY, ROOT, configVariables, dockerEnv, dockerfile } from './deploy-files';

const { instructions, stages } = dockerfile();
const finalStage = stages.length - 1;
const inFinal = (op: string) => instructions.filter((i) => i.stage === finalStage && i.op === op);
const workdir = inFinal('WORKDIR').at(-1)!.args;

/** Where tsc -p tsconfig.build.json (npm run build) writes a source file, relative to the project root. */
function builtPath(source: string): string {
  type TsConfig = { extends?: string; compilerOptions: { rootDir?: string; outDir?: string } };
  const build = JSON.parse(readFileSync(path.join(ROOT, 'tsconfig.build.json'), 'utf8')) as TsConfig;
  const base = JSON.parse(readFileSync(path.join(ROOT, build.extends!), 'utf8')) as TsConfig;
  const options = { ...base.compilerOptions, ...build.compilerOptions } as Required<TsConfig['compilerOptions']>;
  const relative = path.relative(path.join(ROOT, options.rootDir), path.join(ROOT, source));
  return path.join(options.outDir, relative).replace(/\.ts$/, '.js');
}

/** `COPY [--from=stage] src... dest` of the final stage, as [from, sources, dest]. */
function copies(): { from: string | undefined; sources: string[]; dest: string }[] {
  return inFinal('COPY').map((i) => {
    const words = i.args.split(/\s+/);
    const from = words.find((w) => w.startsWith('--from='))?.slice('--from='.length);
    const rest = words.filter((w) => !w.startsWith('--'));
    return { from, sources: rest.slice(0, -1), dest: path.posix.resolve(workdir, rest.at(-1)!) };
  });
}

describe('the worker image (deploy/Dockerfile)', () => {
  it("runs the worker's entry point as its command, as built by npm run build", () => {
    const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    };
    expect(pkg.scripts.build).toMatch(/^tsc -p tsconfig\.build\.json\b/);
    expect(existsSync(path.join(ROOT, 'src/workers/main.ts'))).toBe(true);
    const cmd = JSON.parse(inFinal('CMD').at(-1)!.args) as string[];
    expect(cmd).toEqual(['node', builtPath('src/workers/main.ts')]);
    expect(inFinal('ENTRYPOINT')).toEqual([]);
    // The compiled worker lands in the image where the build stage wrote it.
    const dist = copies().find((c) => c.from !== undefined && c.sources.some((s) => s.endsWith('/dist')));
    expect(dist?.dest).toBe(path.posix.join(workdir, builtPath('src/workers/main.ts').split('/')[0]));
  });

  it('resolves the project root, and so the default tenants file, inside the image', () => {
    // config.ts finds the root from its own folder: the built one sits as deep below the image's root.
    const depth = (p: string) => p.split(path.sep).filter(Boolean).length;
    expect(depth(path.dirname(builtPath('src/workers/config.ts')))).toBe(
      depth(path.relative(PROJECT_ROOT, path.join(ROOT, 'src/workers'))),
    );
    const tenants = path.relative(PROJECT_ROOT, readConfig({}).pipeline.tenantsFile);
    expect(copies().some((c) => c.from === undefined && c.sources.includes(tenants))).toBe(true);
    expect(copies().find((c) => c.sources.includes(tenants))?.dest).toBe(path.posix.join(workdir, tenants));
  });

  it('is multi-stage, with production dependencies only and a non-root user at run time', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    const modules = copies().find((c) => c.sources.some((s) => s.endsWith('node_modules')));
    const from = stages.indexOf(modules!.from!);
    expect(instructions.filter((i) => i.stage === from && i.op === 'RUN').map((i) => i.args)).toContainEqual(
      expect.stringMatching(/npm ci --omit=dev/),
    );
    expect(inFinal('RUN')).toEqual([]);
    const user = inFinal('USER').at(-1)?.args;
    expect(user).toBeDefined();
    expect(['root', '0']).not.toContain(user!.split(':')[0]);
  });

  it('builds the workflow bundle where the build script writes it, and sets only configuration the worker reads', () => {
    const build = instructions.filter((i) => i.op === 'RUN' && /npm run build:workflows/.test(i.args));
    expect(build).toHaveLength(1);
    const script = readFileSync(path.join(ROOT, 'scripts/build-workflow-bundle.ts'), 'utf8');
    const written = /path\.resolve\(__dirname, '([^']+)'\)/.exec(script)![1];
    const bundle = path.relative(ROOT, path.resolve(ROOT, 'scripts', written));
    const env = Object.assign({}, ...inFinal('ENV').map((i) => dockerEnv(i.args))) as Record<string, string>;
    const known = configVariables();
    expect(Object.keys(env).filter((name) => !known.has(name))).toEqual([]);
    if (known.has('DAYBREAK_WORKFLOW_BUNDLE'))
      expect(env.DAYBREAK_WORKFLOW_BUNDLE).toBe(path.posix.join(workdir, bundle));
    expect(bundle.startsWith(`${builtPath('src/workers/main.ts').split('/')[0]}/`)).toBe(true);
  });

  it('keeps in its build context (Dockerfile.dockerignore) every file it copies from there', () => {
    const ignore = readFileSync(path.join(DEPLOY, 'Dockerfile.dockerignore'), 'utf8')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'));
    expect(ignore[0]).toBe('**');
    const kept = ignore.filter((l) => l.startsWith('!')).map((l) => l.slice(1).replace(/\/\*\*$/, ''));
    const fromContext = instructions
      .filter((i) => i.op === 'COPY' && !i.args.includes('--from='))
      .flatMap((i) => i.args.split(/\s+/).slice(0, -1));
    for (const source of fromContext) {
      expect(kept, source).toContain(source);
      expect(existsSync(path.join(ROOT, source)), source).toBe(true);
    }
  });
});
