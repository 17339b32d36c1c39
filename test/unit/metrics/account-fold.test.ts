import avro from 'avsc';
import { describe, expect, it } from 'vitest';
import type { AccountDayState, MetricEvent } from '../../../src/metrics/account-state';
import {
  ACCOUNT_DAY_STATE_SCHEMA,
  PartitionAggregator,
  accountDayStateMonoid,
} from '../../../src/metrics/account-state';
import {
  AccountFold,
  AccountStatesMerger,
  EventTypeIndex,
  foldAccountStates,
} from '../../../src/metrics/states-merger';
import { DISTINCT_EXACT_LIMIT } from '../../../src/metrics/monoids/distinct';
import { AvroByteWriter } from '../../../src/schemas/avro-bytes';
import { bucketOfAccount } from '../../../src/metrics/buckets';
import { accountIds, int, joinSorted, seeded } from './support/random-usage';

const T0 = Date.UTC(2026, 10, 1);
const TYPES = ['login', 'page_view', 'invoice_paid', '7', '42', 'Zeta', 'ü'];

const stateType = avro.Type.forSchema(ACCOUNT_DAY_STATE_SCHEMA as avro.Schema);
/** The bytes a state is written with (bytes fields as Buffers, maps in key order). */
function encoded(states: readonly AccountDayState[]): Buffer {
  return Buffer.concat(
    states.map((s) =>
      stateType.toBuffer({
        ...s,
        users: { fingerprints: Buffer.from(s.users.fingerprints), hll: s.users.hll && Buffer.from(s.users.hll) },
        sessions: {
          fingerprints: Buffer.from(s.sessions.fingerprints),
          hll: s.sessions.hll && Buffer.from(s.sessions.hll),
        },
      }),
    ),
  );
}

/**
 * Partial runs of one day: events aggregated in `runs` partitions (as partitions and their spills
 * write them), each run sorted by accountId. Some accounts have a few hundred users, so their
 * partials are exact and their fold is HLL.
 */
function randomRuns(seed: number): AccountDayState[][] {
  const r = seeded(seed);
  const ids = accountIds(r, int(r, 1, 60));
  const runs = Array.from({ length: int(r, 1, 9) }, () => new PartitionAggregator(T0, T0 + 86_400_000));
  const events = int(r, 0, 3000);
  for (let i = 0; i < events; i++) {
    const accountId = ids[Math.floor(ids.length * r() ** 2)];
    const busy = accountId.length % 3 === 0;
    const event: MetricEvent = {
      accountId,
      userId: `u-${int(r, 0, busy ? DISTINCT_EXACT_LIMIT + 80 : 6)}`,
      type: TYPES[int(r, 0, TYPES.length - 1)],
      occurredAt: T0 + int(r, 0, 86_399_999),
      value: r() < 0.2 ? 0 : r() < 0.5 ? int(r, -5000, 5000) : (r() - 0.5) * 1e6,
      sessionId: r() < 0.3 ? null : String(int(r, 0, busy ? 400 : 5)),
    };
    runs[int(r, 0, runs.length - 1)].add(event);
  }
  return runs.map((a) => a.states());
}

/** The daily-usage merge of one bucket as a merge-join runs it: one fold, reset per account. */
function streamedFold(runs: readonly AccountDayState[][], types = new EventTypeIndex()): AccountDayState[] {
  const fold = new AccountFold(types);
  const out: AccountDayState[] = [];
  joinSorted(runs, (accountId, rows) => {
    fold.reset(accountId);
    for (const s of rows) if (s !== undefined) fold.add(s);
    out.push(fold.state());
  });
  return out;
}

function foldByMonoid(runs: readonly AccountDayState[][]): AccountDayState[] {
  const by = new Map<string, AccountDayState>();
  for (const s of runs.flat()) {
    const seen = by.get(s.accountId);
    by.set(s.accountId, seen ? accountDayStateMonoid.merge(seen, s) : s);
  }
  return [...by.values()].sort((x, y) => (x.accountId < y.accountId ? -1 : 1));
}

function merged(runs: readonly AccountDayState[][]): AccountDayState[] {
  const merger = new AccountStatesMerger();
  for (const run of runs) merger.add(run);
  return merger.result();
}

describe('AccountFold', () => {
  it('folds each account of sorted runs into exactly what AccountStatesMerger gives, to the byte (seeded)', () => {
    let hll = 0;
    for (let seed = 1; seed <= 25; seed++) {
      const runs = randomRuns(seed);
      const expected = merged(runs);
      const streamed = streamedFold(runs);
      expect(streamed, `seed ${seed}`).toEqual(expected);
      // And what folding the monoid gives, which does not share the fold's code, to the byte.
      const byMonoid = foldByMonoid(runs);
      expect(streamed, `seed ${seed}`).toEqual(byMonoid);
      expect(encoded(streamed).equals(encoded(byMonoid)), `seed ${seed}`).toBe(true);
      // toEqual ignores key order; the encoded map does not.
      expect(streamed.map((s) => Object.keys(s.eventsByType))).toEqual(
        expected.map((s) => Object.keys(s.eventsByType)),
      );
      expect(encoded(streamed).equals(encoded(expected)), `seed ${seed}`).toBe(true);
      hll += expected.filter((s) => s.users.hll !== null).length;
      // Per bucket (a type index shared by a task's buckets), then the buckets' states in order.
      for (const buckets of [2, 8]) {
        const types = new EventTypeIndex();
        const byBucket = Array.from({ length: buckets }, (_, b) =>
          streamedFold(
            runs.map((run) => run.filter((s) => bucketOfAccount(s.accountId, buckets) === b)),
            types,
          ),
        );
        const all = byBucket.flat().sort((x, y) => (x.accountId < y.accountId ? -1 : 1));
        expect(encoded(all).equals(encoded(expected)), `seed ${seed} B=${buckets}`).toBe(true);
      }
    }
    expect(hll).toBeGreaterThan(3);
  });

  it('encodes each fold into the bytes avsc writes for its state (seeded; types, sets, HLL, big sums)', () => {
    let hll = 0;
    let big = 0;
    for (let seed = 1; seed <= 25; seed++) {
      const runs = randomRuns(seed);
      // One writer and one type index for all accounts, as the daily-usage merge uses them.
      const types = new EventTypeIndex();
      const fold = new AccountFold(types);
      const w = new AvroByteWriter(8);
      joinSorted(runs, (accountId, rows) => {
        fold.reset(accountId);
        for (const s of rows) if (s !== undefined) fold.add(s);
        w.pos = 0;
        fold.encodeInto(w);
        const bytes = Buffer.from(w.buf.subarray(0, w.pos));
        const state = fold.state();
        expect(bytes.equals(encoded([state])), `seed ${seed} account ${accountId}`).toBe(true);
        if (state.users.hll !== null) hll++;
        if (state.value.sumSquares.length > 15) big++;
      });
    }
    expect(hll).toBeGreaterThan(3);
    expect(big).toBeGreaterThan(3);
  });

  it('encodes integer-like and non-ASCII event types in the order a count map is written, types added between accounts', () => {
    const types = new EventTypeIndex();
    const fold = new AccountFold(types);
    const w = new AvroByteWriter(4);
    const one = (accountId: string, eventsByType: Record<string, number>): AccountDayState => ({
      ...accountDayStateMonoid.empty(),
      accountId,
      events: Object.values(eventsByType).reduce((x, y) => x + y, 0),
      eventsByType,
    });
    for (const state of [
      one('a', { login: 1, ü: 2 }),
      one('b', { '42': 2, Zeta: 1 }),
      one('c', { '7': 1, login: 3, ü: 1, '42': 1 }),
      one('d', {}),
    ]) {
      fold.reset(state.accountId).add(state);
      w.pos = 0;
      fold.encodeInto(w);
      expect(Buffer.from(w.buf.subarray(0, w.pos)).equals(encoded([fold.state()])), state.accountId).toBe(true);
    }
  });

  it('puts integer-like event types first, as JS objects and the merger do', () => {
    const run = (eventsByType: Record<string, number>): AccountDayState => ({
      ...accountDayStateMonoid.empty(),
      accountId: 'a',
      events: Object.values(eventsByType).reduce((x, y) => x + y, 0),
      eventsByType,
    });
    const runs = [[run({ login: 1, '42': 2 })], [run({ '7': 1, Zeta: 3, login: 1 })]];
    const state = foldAccountStates(runs.flat());
    expect(Object.keys(state.eventsByType)).toEqual(['7', '42', 'Zeta', 'login']);
    expect(state.eventsByType).toEqual({ '7': 1, '42': 2, Zeta: 3, login: 2 });
    expect(encoded([state]).equals(encoded(merged(runs)))).toBe(true);
    // The monoid fold gives the same state.
    expect(state).toEqual(accountDayStateMonoid.merge(runs[0][0], runs[1][0]));
  });

  it('refuses a state of another account and an empty list', () => {
    const fold = new AccountFold().reset('a');
    expect(() => fold.add({ ...accountDayStateMonoid.empty(), accountId: 'b' })).toThrow(/account a got .* account b/);
    expect(() => foldAccountStates([])).toThrow(RangeError);
  });
});
