import { mkdir, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { DEFAULT_START_DAY, generate } from '../../generator/generate';
import { createObjectStore } from '../../workers/clients';
import { readConfig } from '../../workers/config';
import type { CommandSpec } from '../args';
import type { Command } from '../command';
import { numberOption } from '../command';

function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

export const generateCommand: Command = {
  spec: {
    name: 'generate',
    description: `Writes deterministic, realistic raw events (v1/v2/v3 producers, late and duplicate events, DST zones,
Unicode), daily account attribute snapshots, the schema registry and config/tenants.json to the
object store (DAYBREAK_STORE, default fs under DAYBREAK_FS_ROOT). --corrupt plants a truncated file,
a bad sync marker and an unregistered writer schema. --accounts N gives each tenant N accounts (up to
50,000,000), most of them quiet on a given day and a heavy tail of busy ones, all in every attribute
snapshot; without it, one account per 50 events a day (25 to 20,000), all active.`,
    options: [
      { name: 'tenants', kind: 'number', placeholder: 'N', description: 'tenants (default 6)' },
      { name: 'days', kind: 'number', placeholder: 'D', description: 'days (default 30)' },
      {
        name: 'events-per-day',
        kind: 'number',
        placeholder: 'E',
        description: 'events per tenant and day (default 10000)',
      },
      {
        name: 'accounts',
        kind: 'number',
        placeholder: 'N',
        description: 'accounts per tenant, 1 to 50,000,000 (default: events per day / 50, 25 to 20,000)',
      },
      { name: 'seed', placeholder: 'S', description: 'seed: the same seed writes the same bytes (default "daybreak")' },
      { name: 'start-day', placeholder: 'YYYY-MM-DD', description: `first day (default ${DEFAULT_START_DAY})` },
      { name: 'store', placeholder: 'fs|s3', description: 'object store to write to (default DAYBREAK_STORE)' },
      {
        name: 'corrupt',
        kind: 'boolean',
        description: 'plants bad data: a truncated file, a bad sync marker, an unknown schema',
      },
      { name: 'tenants-file', placeholder: 'F', description: 'also writes the generated tenants to this file' },
      {
        name: 'concurrency',
        kind: 'number',
        placeholder: 'C',
        description: 'tenant-days generated at once (default 2)',
      },
    ],
  } satisfies CommandSpec,
  async run(args) {
    const config = readConfig();
    const kind = args.get('store') ?? config.store.kind;
    if (kind !== 'fs' && kind !== 's3') throw new Error(`--store ${JSON.stringify(kind)} must be fs or s3`);
    const store = await createObjectStore({ ...config, store: { ...config.store, kind } });
    const seed = args.get('seed') ?? 'daybreak';
    const tenantsFile = args.get('tenants-file');
    console.log(`generating into ${store.description} (seed ${JSON.stringify(seed)})`);
    const summary = await generate(
      {
        tenants: numberOption(args, 'tenants', 6),
        days: numberOption(args, 'days', 30),
        eventsPerDay: numberOption(args, 'events-per-day', 10_000),
        accounts: args.get('accounts') === undefined ? undefined : numberOption(args, 'accounts', 0),
        seed,
        startDay: args.get('start-day'),
        corrupt: args.get('corrupt') === 'true',
        concurrency: numberOption(args, 'concurrency', 2),
        onProgress: ({ tenantId, day, events }) => console.log(`  ${tenantId} ${day}: ${events} events`),
      },
      store,
    );
    if (tenantsFile) {
      await mkdir(path.dirname(path.resolve(tenantsFile)), { recursive: true });
      await writeFile(tenantsFile, JSON.stringify({ tenants: summary.tenants }, null, 2) + '\n');
    }
    console.log(`\ntenants:`);
    for (const t of summary.tenants) console.log(`  ${t.id.padEnd(12)} ${t.timeZone.padEnd(20)} ${t.displayName}`);
    if (summary.corrupt.length) {
      console.log(`planted bad data:`);
      for (const c of summary.corrupt)
        console.log(
          `  ${c.kind.padEnd(15)} ${c.key} (${c.badRecords} of ${c.records} records unusable): ${c.description}`,
        );
    }
    const v = summary.eventsByWriterVersion;
    console.log(
      [
        ``,
        `tenants file:      ${summary.tenantsConfigKey} in the store${tenantsFile ? ` and ${tenantsFile}` : ''}`,
        `events written:    ${summary.events} (v1 ${v[1]}, v2 ${v[2]}, v3 ${v[3]}; ${summary.duplicates} re-sent duplicates, ${summary.lateEvents} late)`,
        `files:             ${summary.rawFiles} raw hour files, ${summary.attributeFiles} attribute snapshots`,
        `bytes written:     ${summary.bytes} (${mib(summary.bytes)})`,
        `time:              ${(summary.durationMs / 1000).toFixed(1)} s`,
        `events per second: ${summary.eventsPerSecond}`,
        `peak memory (RSS): ${mib(summary.peakRssBytes)}`,
      ].join('\n'),
    );
  },
};
