import { readFileSync } from 'node:fs';

/** One sample of a Prometheus text exposition: `name{labels} value`. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Scrape {
  samples: Sample[];
  /** Every sample name exposed (histograms as their _bucket, _sum and _count series). */
  names: Set<string>;
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/** Parses the text format a /metrics endpoint serves (comments skipped). */
export function parseExposition(text: string): Scrape {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = SAMPLE.exec(line);
    if (!m) throw new Error(`not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(LABEL)) labels[l[1]] = l[2].replace(/\\(.)/g, '$1');
    samples.push({ name: m[1], labels, value: Number(m[3]) });
  }
  return { samples, names: new Set(samples.map((s) => s.name)) };
}

const METRIC = /\b(?:daybreak|temporal)_[a-zA-Z0-9_]+\b/g;

/** The metric names a PromQL expression selects (Daybreak's and the SDK's, by their prefixes). */
export function metricNamesInExpression(expr: string): string[] {
  // Label matchers' values are strings, not names: `{task_queue="temporal_x"}` selects no metric.
  const withoutStrings = expr.replace(/"(?:[^"\\]|\\.)*"/g, '""');
  return [...withoutStrings.matchAll(METRIC)].map((m) => m[0]);
}

/** Every metric name the panels of a Grafana dashboard (JSON) query. */
export function metricNamesInDashboard(file: string): Set<string> {
  const dashboard = JSON.parse(readFileSync(file, 'utf8')) as {
    panels?: { targets?: { expr?: string }[] }[];
    templating?: { list?: { query?: string | { query?: string } }[] };
  };
  const expressions = [
    ...(dashboard.panels ?? []).flatMap((p) => (p.targets ?? []).map((t) => t.expr ?? '')),
    // Variables query metrics too (label_values(metric, label)).
    ...(dashboard.templating?.list ?? []).map((v) => (typeof v.query === 'string' ? v.query : (v.query?.query ?? ''))),
  ];
  return new Set(expressions.flatMap(metricNamesInExpression));
}

/**
 * Every metric name the rules of a Prometheus rule file (YAML) query. Each `expr:` is one line:
 * a block scalar (`expr: |`) is refused rather than read past.
 */
export function metricNamesInRules(file: string): Set<string> {
  const names = new Set<string>();
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const m = /^\s*(?:-\s+)?expr:\s*(.*)$/.exec(line);
    if (!m) continue;
    if (/^[|>]/.test(m[1])) throw new Error(`${file}: write each expr on one line: ${line}`);
    for (const n of metricNamesInExpression(m[1])) names.add(n);
  }
  return names;
}
