import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { parseAllDocuments, parse as parseYaml } from 'yaml';
import { type DaybreakConfig, readConfig } from '../../../src/workers/config';
import { queueLayoutOf } from '../../../src/workers/compose';
import { type WorkerQueue, workerQueues } from '../../../src/workers/queues';

/** Reading the deploy files (manifests, Dockerfile, compose) as the tools would, to hold them to the code. */
export const ROOT = path.resolve(__dirname, '../../..');
export const DEPLOY = path.join(ROOT, 'deploy');

/**
 * Every environment variable the worker's configuration reads: readConfig() run over an environment
 * that records each name asked for. Derived from the code, so a variable renamed there is one the
 * deploy files no longer may set.
 */
export function configVariables(): Set<string> {
  const read = new Set<string>();
  const env = new Proxy<NodeJS.ProcessEnv>(
    {},
    {
      get: (_, name) => {
        if (typeof name === 'string') read.add(name);
        return undefined;
      },
      has: (_, name) => {
        if (typeof name === 'string') read.add(name);
        return false;
      },
    },
  );
  readConfig(env);
  return read;
}

/** The task queues a worker of this configuration polls, from the one place that spells the layout. */
export function polledQueues(config: DaybreakConfig): WorkerQueue[] {
  return workerQueues(queueLayoutOf(config));
}

export interface Probe {
  httpGet?: { path: string; port: string | number };
}

export interface Container {
  name: string;
  image: string;
  command?: string[];
  args?: string[];
  env?: { name: string; value?: string }[];
  envFrom?: { configMapRef?: { name: string }; secretRef?: { name: string } }[];
  ports?: { name?: string; containerPort: number }[];
  resources: { requests: { cpu: string; memory: string }; limits: { memory: string } };
  startupProbe?: Probe;
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  volumeMounts?: { name: string; mountPath: string }[];
}

export interface Trigger {
  type: string;
  metadata: Record<string, string>;
  authenticationRef?: { name: string };
}

/** The fields of the kinds these manifests hold (Deployment, PDB, ScaledObject, TriggerAuthentication, ConfigMap, Secret) that the checks read. */
export interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  data?: Record<string, string>;
  stringData?: Record<string, string>;
  type?: string;
  spec?: {
    template?: {
      metadata: { labels: Record<string, string> };
      spec: {
        containers: Container[];
        volumes?: { name: string; configMap?: { name: string } }[];
        terminationGracePeriodSeconds?: number;
        securityContext?: { runAsNonRoot?: boolean; runAsUser?: number };
      };
    };
    selector?: { matchLabels: Record<string, string> };
    maxUnavailable?: number;
    scaleTargetRef?: { name: string };
    minReplicaCount?: number;
    maxReplicaCount?: number;
    cooldownPeriod?: number;
    advanced?: { horizontalPodAutoscalerConfig: { behavior: { scaleDown: { stabilizationWindowSeconds: number } } } };
    triggers?: Trigger[];
    secretTargetRef?: { parameter: string; name: string; key: string }[];
  };
}

export function yamlDocuments(file: string): Manifest[] {
  return parseAllDocuments(readFileSync(file, 'utf8'))
    .map((d) => {
      if (d.errors.length > 0) throw new Error(`${path.relative(ROOT, file)}: ${d.errors[0].message}`);
      return d.toJS({ maxAliasCount: -1 }) as Manifest | null;
    })
    .filter((d): d is Manifest => d !== null);
}

interface Generator {
  name: string;
  behavior?: 'create' | 'merge' | 'replace';
  literals?: string[];
  files?: string[];
}

interface Kustomization {
  resources?: string[];
  namespace?: string;
  images?: { name: string; newName?: string; newTag?: string }[];
  configMapGenerator?: Generator[];
  secretGenerator?: Generator[];
  patches?: { target: { group?: string; kind?: string; name?: string }; patch: string }[];
}

interface PatchOp {
  op: string;
  path: string;
  value: unknown;
}

/** The kustomization.yaml of a folder. */
export function kustomization(dir: string): Kustomization {
  return parseYaml(readFileSync(path.join(dir, 'kustomization.yaml'), 'utf8')) as Kustomization;
}

/** The fields of a Kustomization this renderer models; any other is refused, so nothing is silently ignored. */
const MODELED = new Set([
  'apiVersion',
  'kind',
  'resources',
  'labels',
  'namespace',
  'images',
  'generatorOptions',
  'configMapGenerator',
  'secretGenerator',
  'patches',
]);

/**
 * What `kubectl kustomize dir` renders, for the features these manifests use (resources, namespace,
 * images, ConfigMap/Secret generators merging or replacing a base object, JSON6902 patches by target).
 * Labels are left out: no check reads them. The output was compared with kustomize v5.5's once by hand.
 */
export function render(dir: string): Manifest[] {
  const k = kustomization(dir);
  const unknown = Object.keys(k).filter((key) => !MODELED.has(key));
  if (unknown.length > 0)
    throw new Error(`${path.relative(ROOT, dir)}: kustomization fields not modeled: ${unknown.join(', ')}`);
  let out: Manifest[] = [];
  for (const r of k.resources ?? []) {
    const full = path.join(dir, r);
    out.push(...(statSync(full).isDirectory() ? render(full) : yamlDocuments(full)));
  }
  for (const [gen, kind] of [
    ['configMapGenerator', 'ConfigMap'],
    ['secretGenerator', 'Secret'],
  ] as const) {
    for (const g of k[gen] ?? []) {
      const data: Record<string, string> = {};
      for (const lit of g.literals ?? []) {
        const eq = lit.indexOf('=');
        data[lit.slice(0, eq)] = lit.slice(eq + 1);
      }
      for (const f of g.files ?? []) data[path.basename(f)] = readFileSync(path.join(dir, f), 'utf8');
      // A Secret's data is base64, as kustomize writes it.
      if (kind === 'Secret') for (const key of Object.keys(data)) data[key] = Buffer.from(data[key]).toString('base64');
      const existing = out.find((m) => m.kind === kind && m.metadata.name === g.name);
      const behavior = g.behavior ?? 'create';
      if (behavior !== 'create' && !existing)
        throw new Error(`${path.relative(ROOT, dir)}: ${gen} ${g.name} ${behavior}s a ${kind} the base does not have`);
      if (behavior === 'merge') existing!.data = { ...existing!.data, ...data };
      else if (behavior === 'replace') {
        delete existing!.stringData;
        existing!.data = data;
      } else out.push({ apiVersion: 'v1', kind, metadata: { name: g.name }, data });
    }
  }
  for (const p of k.patches ?? []) {
    const targets = out.filter(
      (m) =>
        (!p.target.kind || m.kind === p.target.kind) &&
        (!p.target.name || m.metadata.name === p.target.name) &&
        (!p.target.group || m.apiVersion.split('/')[0] === p.target.group),
    );
    if (targets.length === 0)
      throw new Error(`${path.relative(ROOT, dir)}: a patch matches nothing: ${JSON.stringify(p.target)}`);
    for (const m of targets) for (const op of parseYaml(p.patch) as PatchOp[]) applyOp(m, op);
  }
  for (const image of k.images ?? [])
    for (const c of out.flatMap((m) => m.spec?.template?.spec.containers ?? []))
      if (c.image.split(':')[0] === image.name)
        c.image = `${image.newName ?? image.name}:${image.newTag ?? c.image.split(':')[1]}`;
  if (k.namespace) out = out.map((m) => ({ ...m, metadata: { ...m.metadata, namespace: k.namespace } }));
  return out;
}

function applyOp(target: Manifest, op: PatchOp): void {
  if (op.op !== 'add' && op.op !== 'replace') throw new Error(`patch op ${op.op} not modeled`);
  const keys = op.path.split('/').slice(1);
  let node = target as unknown as Record<string, unknown>;
  for (const key of keys.slice(0, -1)) {
    if (node[key] === undefined) throw new Error(`${target.metadata.name}: no ${op.path}`);
    node = node[key] as Record<string, unknown>;
  }
  const last = keys[keys.length - 1];
  if (op.op === 'replace' && node[last] === undefined)
    throw new Error(`${target.metadata.name}: replace of missing ${op.path}`);
  node[last] = op.value;
}

/** A Deployment's worker container environment as the pod gets it: envFrom ConfigMaps and Secrets, then env. */
export function containerEnv(manifests: Manifest[], container: Container): Record<string, string> {
  const env: Record<string, string> = {};
  for (const from of container.envFrom ?? []) {
    const ref = (from.configMapRef ?? from.secretRef)!;
    const kind = from.configMapRef ? 'ConfigMap' : 'Secret';
    const source = manifests.find((m) => m.kind === kind && m.metadata.name === ref.name);
    if (!source) throw new Error(`envFrom names a ${kind} ${ref.name} that is not in the manifests`);
    const decode = (v: string) => (kind === 'Secret' ? Buffer.from(v, 'base64').toString() : v);
    for (const [k, v] of Object.entries(source.data ?? {})) env[k] = decode(v);
    for (const [k, v] of Object.entries(source.stringData ?? {})) env[k] = v;
  }
  for (const e of container.env ?? []) env[e.name] = e.value ?? '';
  return env;
}

export interface DockerInstruction {
  op: string;
  args: string;
  stage: number;
}

/** The Dockerfile's instructions (continuation lines joined, comments dropped), each with its stage's index. */
export function dockerfile(file = path.join(DEPLOY, 'Dockerfile')): {
  instructions: DockerInstruction[];
  stages: string[];
} {
  const joined = readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => !/^\s*#/.test(l))
    .join('\n')
    .replace(/\\\n/g, ' ');
  const instructions: DockerInstruction[] = [];
  const stages: string[] = [];
  for (const line of joined.split('\n').filter((l) => l.trim() !== '')) {
    const m = /^\s*([A-Za-z]+)\s+(.*)$/.exec(line);
    if (!m) throw new Error(`Dockerfile: cannot read ${JSON.stringify(line)}`);
    const op = m[1].toUpperCase();
    if (op === 'FROM') stages.push(/\bAS\s+(\S+)/i.exec(m[2])?.[1] ?? String(stages.length));
    instructions.push({ op, args: m[2].trim(), stage: stages.length - 1 });
  }
  return { instructions, stages };
}

/** ENV instructions' pairs (`ENV A=1 B=2`). */
export function dockerEnv(args: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of args.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=("[^"]*"|\S+)/g)) out[m[1]] = m[2].replace(/^"|"$/g, '');
  return out;
}

/** The files of a folder (not recursive). */
export function filesIn(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir).filter((f) => statSync(path.join(dir, f)).isFile()) : [];
}
