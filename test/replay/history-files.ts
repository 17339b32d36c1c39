import { readFileSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';

/**
 * Recorded histories are named `<workflow>[.<scenario>].v<N>.sdk-<version>.json`: vN counts
 * deliberate changes of the workflow's shape, and the SDK version is the @temporalio/workflow that
 * recorded it. Histories are kept across SDK upgrades, so the name says which SDK's command
 * sequences each file pins down (the replay test checks it against the history's own sdkMetadata).
 */
export const HISTORIES_DIR = path.resolve(__dirname, 'histories');

const FILE_NAME =
  /^(?<scenario>[a-z0-9-]+(?:\.[a-z0-9-]+)*\.v\d+)\.sdk-(?<sdk>\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?)\.json$/;

/** The version of the installed @temporalio/workflow, which is what shapes a recorded history. */
export function installedSdkVersion(): string {
  const manifest = readFileSync(require.resolve('@temporalio/workflow/package.json'), 'utf8');
  return (JSON.parse(manifest) as { version: string }).version;
}

/** `tenant-day.basic.v1` recorded with SDK 1.24.0 is `tenant-day.basic.v1.sdk-1.24.0.json`. */
export function historyFileName({ scenario, sdkVersion }: { scenario: string; sdkVersion: string }): string {
  const name = `${scenario}.sdk-${sdkVersion}.json`;
  if (!FILE_NAME.test(name)) throw new Error(`history file name ${JSON.stringify(name)} does not follow the scheme`);
  return name;
}

/** Scenario and SDK version of a history file name; undefined for a name outside the scheme. */
export function parseHistoryFileName(file: string): { scenario: string; sdkVersion: string } | undefined {
  const groups = FILE_NAME.exec(file)?.groups;
  return groups ? { scenario: groups.scenario, sdkVersion: groups.sdk } : undefined;
}

/** Every recorded history file, sorted. */
export function historyFiles(): string[] {
  return readdirSync(HISTORIES_DIR)
    .filter((f) => f.endsWith('.json'))
    .sort();
}

export function loadHistoryJson(file: string): unknown {
  return JSON.parse(readFileSync(path.join(HISTORIES_DIR, file), 'utf8'));
}

export function loadHistory(file: string) {
  return historyFromJSON(loadHistoryJson(file));
}

/** The SDK versions the history's workflow task completions name (the workers that recorded it). */
export function recordedSdkVersions(file: string): string[] {
  const { events } = loadHistoryJson(file) as {
    events: { workflowTaskCompletedEventAttributes?: { sdkMetadata?: { sdkVersion?: string } } }[];
  };
  const versions = events.flatMap((e) => e.workflowTaskCompletedEventAttributes?.sdkMetadata?.sdkVersion ?? []);
  return [...new Set(versions)].sort();
}
