import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { type DaybreakConfig, readConfig } from '../../../src/workers/config';
import { metricsAddress } from '../../../src/workers/metrics-exporter';
import { loadTenantsFile } from '../../../src/workers/tenants';
import {
  type Container,
  DEPLOY,
  type Manifest,
  configVariables,
  containerEnv,
  filesIn,
  kustomization,
  polledQueues,
  render,
} from './deploy-files';

const BASE = path.join(DEPLOY, 'k8s', 'base');
const OVERLAYS = ['example'].map((o) => path.join(DEPLOY, 'k8s', 'overlays', o));
const RENDERINGS: [string, Manifest[]][] = [BASE, ...OVERLAYS].map((dir) => [path.relative(DEPLOY, dir), render(dir)]);

interface Worker {
  deployment: Manifest;
  container: Container;
  env: Record<string, string>;
  config: DaybreakConfig;
}

function workers(manifests: Manifest[]): Worker[] {
  return manifests
    .filter((m) => m.kind === 'Deployment')
    .map((deployment) => {
      const containers = deployment.spec!.template!.spec.containers;
      expect(containers.map((c) => c.name)).toEqual(['worker']);
      const env = containerEnv(manifests, containers[0]);
      return { deployment, container: containers[0], env, config: readConfig(env) };
    });
}

const pod = (w: Worker) => w.deployment.spec!.template!.spec;
const cpuCores = (q: string) => (q.endsWith('m') ? Number(q.slice(0, -1)) / 1000 : Number(q));
const bytes = (q: string) => {
  const m = /^(\d+)(Mi|Gi)$/.exec(q);
  if (!m) throw new Error(`memory quantity ${q}: write it in Mi or Gi`);
  return Number(m[1]) * (m[2] === 'Gi' ? 1024 : 1) * 2 ** 20;
};

describe('the kustomize base', () => {
  it('lists every manifest file of its folder as a resource, and only those', () => {
    const files = filesIn(BASE).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml');
    expect([...(kustomization(BASE).resources ?? [])].sort()).toEqual(files.sort());
  });

  it('runs one worker Deployment per pipeline version and queue kind, and one for coordination', () => {
    const kinds = workers(render(BASE)).flatMap((w) =>
      polledQueues(w.config).map((q) => `${q.kind}:${q.version ?? '-'}`),
    );
    expect(kinds.sort()).toEqual(['backfill:v1', 'backfill:v2', 'coordination:-', 'live:v1', 'live:v2']);
    for (const w of workers(render(BASE))) expect(polledQueues(w.config)).toHaveLength(1);
  });

  it("ships a tenants file the worker's own loader accepts, mounted where DAYBREAK_TENANTS_FILE says", async () => {
    for (const [name, manifests] of RENDERINGS) {
      const tenants = manifests.find((m) => m.kind === 'ConfigMap' && m.metadata.name === 'daybreak-tenants');
      for (const [key, text] of Object.entries(tenants!.data ?? {})) {
        const file = path.join(mkdtempSync(path.join(tmpdir(), 'daybreak-k8s-')), key);
        writeFileSync(file, text);
        expect((await loadTenantsFile(file)).tenants.length, `${name} ${key}`).toBeGreaterThan(0);
      }
      for (const w of workers(manifests)) {
        const volume = pod(w).volumes?.find((v) => v.configMap?.name === 'daybreak-tenants');
        const mount = w.container.volumeMounts?.find((m) => m.name === volume?.name);
        expect(Object.keys(tenants!.data ?? {}).map((key) => path.posix.join(mount!.mountPath, key))).toContain(
          w.config.pipeline.tenantsFile,
        );
      }
    }
  });
});

describe.each(RENDERINGS)('%s', (_name, manifests) => {
  const known = configVariables();

  it("sets only environment variables the worker's configuration reads", () => {
    for (const w of workers(manifests)) {
      const unknown = Object.keys(w.env).filter((name) => !known.has(name));
      expect(unknown, w.deployment.metadata.name).toEqual([]);
    }
  });

  it("runs the image's own command (the worker's entry point), as a non-root user", () => {
    for (const w of workers(manifests)) {
      expect(w.container.command, w.deployment.metadata.name).toBeUndefined();
      expect(w.container.args, w.deployment.metadata.name).toBeUndefined();
      expect(pod(w).securityContext?.runAsNonRoot).toBe(true);
      expect(pod(w).securityContext?.runAsUser).toBeGreaterThan(0);
    }
  });

  it('probes /metrics on the port the worker serves it on, bound to every interface', () => {
    for (const w of workers(manifests)) {
      const address = metricsAddress(w.env.DAYBREAK_METRICS_ADDRESS);
      expect(address, w.deployment.metadata.name).toBeDefined();
      const [host, port] = [address!.slice(0, address!.lastIndexOf(':')), Number(address!.split(':').pop())];
      expect(host).toBe('0.0.0.0');
      const named = new Map((w.container.ports ?? []).map((p) => [p.name, p.containerPort]));
      for (const probe of ['startupProbe', 'livenessProbe', 'readinessProbe'] as const) {
        const get = w.container[probe]?.httpGet;
        expect(get?.path, `${w.deployment.metadata.name} ${probe}`).toBe('/metrics');
        expect(typeof get!.port === 'string' ? named.get(get!.port) : get!.port).toBe(port);
      }
    }
  });

  it('requests the memory and cores its partition threads need, within a memory limit', () => {
    for (const w of workers(manifests)) {
      const { requests, limits } = w.container.resources;
      expect(cpuCores(requests.cpu), w.deployment.metadata.name).toBeGreaterThanOrEqual(
        Math.max(0.1, w.config.worker.partitionThreads),
      );
      expect(bytes(limits.memory)).toBeGreaterThanOrEqual(bytes(requests.memory));
    }
  });

  it('gives a SIGTERMed worker longer than its shutdown grace before the SIGKILL', () => {
    for (const w of workers(manifests)) {
      const termination = pod(w).terminationGracePeriodSeconds!;
      expect(termination, w.deployment.metadata.name).toBeGreaterThan(30);
      // The grace is the worker's own setting once its configuration reads it (src/workers).
      if (known.has('DAYBREAK_SHUTDOWN_GRACE_SECONDS')) {
        const grace = Number(w.env.DAYBREAK_SHUTDOWN_GRACE_SECONDS);
        expect(grace, `${w.deployment.metadata.name}: DAYBREAK_SHUTDOWN_GRACE_SECONDS`).toBeGreaterThan(0);
        expect(termination).toBeGreaterThan(grace);
      }
    }
  });

  it('has a PodDisruptionBudget for each Deployment that never blocks a drain', () => {
    for (const w of workers(manifests)) {
      const labels = w.deployment.spec!.template!.metadata.labels;
      const pdbs = manifests.filter(
        (m) =>
          m.kind === 'PodDisruptionBudget' &&
          Object.entries(m.spec!.selector!.matchLabels).every(([k, v]) => labels[k] === v),
      );
      expect(
        pdbs.map((p) => p.spec!.maxUnavailable),
        w.deployment.metadata.name,
      ).toEqual([1]);
    }
  });

  it('scales each Deployment on the backlog of exactly the task queues it polls', () => {
    const deployments = new Map(workers(manifests).map((w) => [w.deployment.metadata.name, w]));
    const scaled = manifests.filter((m) => m.kind === 'ScaledObject');
    for (const so of scaled) {
      const w = deployments.get(so.spec!.scaleTargetRef!.name);
      expect(w, `${so.metadata.name} targets a Deployment of these manifests`).toBeDefined();
      const queues = polledQueues(w!.config);
      for (const trigger of so.spec!.triggers!) {
        expect(trigger.type).toBe('temporal');
        const md = trigger.metadata;
        const queue = queues.find((q) => q.taskQueue === md.taskQueue);
        expect(
          queue,
          `${so.metadata.name}: ${md.taskQueue} is a queue ${w!.deployment.metadata.name} polls`,
        ).toBeDefined();
        expect(md.namespace).toBe(w!.config.temporal.namespace);
        expect(w!.env[md.endpointFromEnv], `${so.metadata.name}: endpointFromEnv`).toBe(w!.config.temporal.address);
        expect(md.queueTypes.split(',').sort()).toEqual(['activity', 'workflow']);
        // One worker's slots on the queue: the replicas wanted are the workers that take the backlog at once.
        expect(Number(md.targetQueueSize)).toBe(queue!.maxActivities);
        expect(md.activationTargetQueueSize).toBe('0');
      }
      const behavior = so.spec!.advanced!.horizontalPodAutoscalerConfig.behavior;
      expect(behavior.scaleDown.stabilizationWindowSeconds).toBeGreaterThanOrEqual(300);
      if (so.spec!.minReplicaCount === 0) expect(so.spec!.cooldownPeriod).toBeGreaterThanOrEqual(300);
    }
    for (const [name, w] of deployments) {
      const triggers = scaled
        .filter((so) => so.spec!.scaleTargetRef!.name === name)
        .flatMap((so) => so.spec!.triggers!.map((t) => t.metadata.taskQueue));
      expect(triggers.sort(), `${name}: one ScaledObject trigger per polled queue`).toEqual(
        polledQueues(w.config)
          .map((q) => q.taskQueue)
          .sort(),
      );
    }
  });

  it('scales version workers to zero between waves, never the coordination worker', () => {
    const byName = new Map(workers(manifests).map((w) => [w.deployment.metadata.name, w]));
    for (const so of manifests.filter((m) => m.kind === 'ScaledObject')) {
      const w = byName.get(so.spec!.scaleTargetRef!.name)!;
      expect(so.spec!.minReplicaCount, so.metadata.name).toBe(w.config.worker.coordination ? 2 : 0);
    }
  });

  it('authenticates KEDA with a Secret key the workers are given too', () => {
    for (const so of manifests.filter((m) => m.kind === 'ScaledObject'))
      for (const t of so.spec!.triggers!.filter((x) => x.authenticationRef)) {
        const authName = t.authenticationRef!.name;
        const auth = manifests.find((m) => m.kind === 'TriggerAuthentication' && m.metadata.name === authName);
        expect(auth, `${so.metadata.name}: TriggerAuthentication ${authName}`).toBeDefined();
        for (const ref of auth!.spec!.secretTargetRef!) {
          const secret = manifests.find((m) => m.kind === 'Secret' && m.metadata.name === ref.name);
          expect({ ...secret?.data, ...secret?.stringData }, `${ref.name}.${ref.key}`).toHaveProperty(ref.key);
        }
      }
  });
});
