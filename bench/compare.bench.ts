/**
 * Comparison benchmark: compareRunOutputs on two 1M-account outputs (a v1 primary and a v2 shadow
 * with the v1-to-v2 change on billing accounts plus a small rate of planted unexpected differences),
 * in a temporary filesystem object store, against avsc's stock createFileDecoder merely decoding
 * both files in the same run. Best of two rounds each.
 *
 *   npm run bench:compare                      # 1M accounts
 *   npm run bench:compare -- --accounts N      # another size
 *
 * The last lines are key=value: accounts, accounts_per_s, ratio_vs_decode (goal >= 0.5), and more.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import * as avro from 'avsc';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createS3CompareActivities } from '../src/activities/compare/compare-outputs';
import type { CompareRunOutputsInput, CompareRunOutputsResult } from '../src/compare/compare-contracts';
import { outputKey } from '../src/common/keys';
import { FsObjectStore } from '../src/storage/fs-object-store';
import { accountDocuments, putAccountDocuments } from '../test/support/account-documents';

const TENANT = 'bench';
const DAY = '2026-11-21';
/** One account in PLANTED_EVERY gets an unexpected difference. */
const PLANTED_EVERY = 2000;

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

function seconds(since: bigint): number {
  return Number(process.hrtime.bigint() - since) / 1e9;
}

async function decodeBoth(files: string[]): Promise<number> {
  let records = 0;
  for (const file of files) {
    await new Promise<void>((resolve, reject) => {
      avro
        .createFileDecoder(file)
        .on('data', () => {
          records++;
        })
        .on('error', reject)
        .on('end', resolve);
    });
  }
  return records;
}

async function main(): Promise<void> {
  const accounts = Number(arg('accounts') ?? 1_000_000);
  if (!Number.isInteger(accounts) || accounts < 1)
    throw new Error(`--accounts ${arg('accounts')} is not a positive integer`);
  const root = mkdtempSync(path.join(tmpdir(), 'daybreak-bench-compare-'));
  try {
    const store = new FsObjectStore(root);
    const primaryKey = outputKey(
      { tenantId: TENANT, day: DAY, pipelineVersion: 'v1', runKind: 'primary' },
      'accounts.avro',
    );
    const shadowKey = outputKey(
      { tenantId: TENANT, day: DAY, pipelineVersion: 'v2', runKind: 'shadow' },
      'accounts.avro',
    );
    let started = process.hrtime.bigint();
    await putAccountDocuments(store, primaryKey, accountDocuments(accounts, { tenantId: TENANT, day: DAY }));
    await putAccountDocuments(
      store,
      shadowKey,
      accountDocuments(accounts, { tenantId: TENANT, day: DAY, pipelineVersion: 'v2' }, (d, i) => {
        const v2 = d.billingEvents > 0 ? { ...d, healthScore: (d.healthScore + 3) % 101 } : d;
        return i % PLANTED_EVERY === 7 ? { ...v2, eventsTotal: v2.eventsTotal + 1 } : v2;
      }),
    );
    const files = [primaryKey, shadowKey].map((k) => path.join(root, ...k.split('/')));
    const bytes = files.reduce((sum, f) => sum + statSync(f).size, 0);
    console.log(
      `generated 2 x ${accounts} accounts (${(bytes / 1e6).toFixed(1)} MB, deflate) in ${seconds(started).toFixed(1)} s`,
    );

    const activities = createS3CompareActivities({ store });
    const compareRunOutputs = (i: CompareRunOutputsInput) => activities.compareRunOutputs(i);
    const input: CompareRunOutputsInput = {
      tenantId: TENANT,
      day: DAY,
      primaryPipelineVersion: 'v1',
      shadowPipelineVersion: 'v2',
      policy: 'v1-to-v2',
    };
    let decodeSeconds = Infinity;
    let compareSeconds = Infinity;
    let result: CompareRunOutputsResult | undefined;
    for (let round = 1; round <= 2; round++) {
      started = process.hrtime.bigint();
      const records = await decodeBoth(files);
      const d = seconds(started);
      if (records !== 2 * accounts) throw new Error(`decoded ${records} records, expected ${2 * accounts}`);
      started = process.hrtime.bigint();
      result = await new MockActivityEnvironment().run(compareRunOutputs, input);
      const c = seconds(started);
      console.log(`round ${round}: decode both ${d.toFixed(2)} s, compare ${c.toFixed(2)} s`);
      decodeSeconds = Math.min(decodeSeconds, d);
      compareSeconds = Math.min(compareSeconds, c);
    }
    const expectedUnexpected = Math.ceil((accounts - 7) / PLANTED_EVERY);
    if (!result || result.unexpected !== expectedUnexpected || result.accountsCompared !== accounts) {
      throw new Error(
        `comparison found ${JSON.stringify(result)}, expected ${expectedUnexpected} unexpected differences`,
      );
    }
    console.log(`verdict ${result.verdict}: ${result.unexpected} unexpected, ${result.expected} expected differences`);
    const accountsPerS = accounts / compareSeconds;
    const decodePerS = accounts / decodeSeconds;
    console.log(`accounts=${accounts}`);
    console.log(`compare_s=${compareSeconds.toFixed(3)}`);
    console.log(`decode_s=${decodeSeconds.toFixed(3)}`);
    console.log(`decode_accounts_per_s=${Math.round(decodePerS)}`);
    console.log(`peak_rss_mb=${Math.round(process.resourceUsage().maxRSS / 1024)}`);
    console.log(`accounts_per_s=${Math.round(accountsPerS)}`);
    console.log(`ratio_vs_decode=${(accountsPerS / decodePerS).toFixed(3)}`);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
