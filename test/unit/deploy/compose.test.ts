import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { ALL_SEARCH_ATTRIBUTE_KEYS } from '../../../src/common/search-attributes';
import { readConfig } from '../../../src/workers/config';
import { DEPLOY, configVariables, polledQueues } from './deploy-files';

interface Service {
  image?: string;
  build?: { context: string; dockerfile: string };
  environment?: Record<string, string | number | boolean>;
  depends_on?: Record<string, { condition: string }>;
  command?: string[];
  volumes?: string[];
  stop_grace_period?: string;
}

const compose = parseYaml(readFileSync(path.join(DEPLOY, 'compose.yaml'), 'utf8'), { merge: true }) as {
  services: Record<string, Service>;
};
const services = Object.entries(compose.services);
/** The services that run the image built from deploy/Dockerfile: Daybreak's workers. */
const workers = services.filter(([, s]) => s.build?.dockerfile === 'deploy/Dockerfile');
const envOf = (s: Service) => Object.fromEntries(Object.entries(s.environment ?? {}).map(([k, v]) => [k, String(v)]));

describe('the compose stack (deploy/compose.yaml)', () => {
  it("sets only environment variables the worker's configuration reads", () => {
    const known = configVariables();
    expect(workers.length).toBeGreaterThan(0);
    for (const [name, s] of workers)
      expect(
        Object.keys(envOf(s)).filter((v) => !known.has(v)),
        name,
      ).toEqual([]);
  });

  it('runs pipeline v1 and v2 each in a service of its own, plus coordination, covering every queue', () => {
    const byService = workers.map(([name, s]) => [name, polledQueues(readConfig(envOf(s)))] as const);
    const versionsOf = byService.map(([, qs]) => [...new Set(qs.flatMap((q) => q.version ?? []))]);
    expect(versionsOf.filter((v) => v.length > 1)).toEqual([]);
    expect(versionsOf.flat().sort()).toEqual(['v1', 'v2']);
    expect(byService.flatMap(([, qs]) => qs.map((q) => `${q.kind}:${q.version ?? '-'}`)).sort()).toEqual([
      'backfill:v1',
      'backfill:v2',
      'coordination:-',
      'live:v1',
      'live:v2',
    ]);
  });

  it("points every worker at the stack's own Temporal, namespace and store", () => {
    for (const [name, s] of workers) {
      const config = readConfig(envOf(s));
      expect(config.temporal.address.split(':')[0], name).toBe('temporal');
      expect(config.temporal.namespace).toBe('daybreak');
      expect(config.store.kind).toBe('s3');
      expect(new URL(config.s3.endpoint).hostname).toBe('s3');
      expect(new URL(config.elasticsearch.url).hostname).toBe('elasticsearch');
      expect(s.depends_on?.['temporal-setup']?.condition).toBe('service_completed_successfully');
    }
    expect(Object.keys(compose.services)).toEqual(
      expect.arrayContaining(['temporal', 'postgresql', 'elasticsearch', 's3', 'temporal-ui']),
    );
  });

  it('gives a stopped worker longer than its shutdown grace before the SIGKILL', () => {
    for (const [name, s] of workers) {
      const m = /^(\d+)(s|m)$/.exec(s.stop_grace_period ?? '');
      expect(m, `${name}: stop_grace_period`).not.toBeNull();
      const stop = Number(m![1]) * (m![2] === 'm' ? 60 : 1);
      const grace = envOf(s).DAYBREAK_SHUTDOWN_GRACE_SECONDS;
      if (configVariables().has('DAYBREAK_SHUTDOWN_GRACE_SECONDS')) expect(stop, name).toBeGreaterThan(Number(grace));
    }
  });

  it('mounts only files of this repository that exist (the tenants file, the dynamic config)', () => {
    const binds = services.flatMap(([, s]) => (s.volumes ?? []).filter((v) => v.startsWith('./')));
    expect(binds.length).toBeGreaterThan(0);
    for (const bind of binds) expect(existsSync(path.join(DEPLOY, bind.split(':')[0])), bind).toBe(true);
  });

  it("registers the namespace's search attributes the workflows set", () => {
    const setup = compose.services['temporal-setup'].command!.join('\n');
    const names = /for sa in ([^;]+);/.exec(setup)![1].trim().split(/\s+/);
    expect(names.sort()).toEqual(ALL_SEARCH_ATTRIBUTE_KEYS.map((k) => k.name).sort());
    expect(setup).toContain('--namespace daybreak');
  });
});
