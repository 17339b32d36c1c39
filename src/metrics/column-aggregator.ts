import type { EventColumns } from '../schemas/event-columns';
import type { AccountDayState } from './account-state';
import { ByteKeyIndex } from './byte-key-index';
import { compareStrings } from './monoids/monoid';
import { sortedCounts } from './monoids/basic';
import type { DistinctState } from './monoids/distinct';
import { DISTINCT_EXACT_LIMIT } from './monoids/distinct';
import type { HllState } from './monoids/hyperloglog';
import { hllAddHash, hllEmpty } from './monoids/hyperloglog';
import { MomentsAccumulator } from './monoids/moments';
import { murmur3Bytes } from './monoids/murmur3';
import { QuantileSketchAccumulator } from './monoids/quantile-sketch';

/**
 * The distinct accumulator of the column path: exact while at most DISTINCT_EXACT_LIMIT values
 * (bytes kept in a ByteKeyIndex, compared exactly), then HLL registers fed the same murmur3 hashes
 * the string path computes. toState() equals DistinctAccumulator's for the same values.
 */
class ByteDistinct {
  private index: ByteKeyIndex | null = new ByteKeyIndex(4);
  private registers: HllState | null = null;

  add(bytes: Uint8Array, at: number, len: number, hash: number): void {
    const index = this.index;
    if (index === null) {
      hllAddHash(this.registers!, hash);
      return;
    }
    index.findOrAdd(bytes, at, len, hash);
    if (index.size > DISTINCT_EXACT_LIMIT) {
      const registers = hllEmpty();
      for (let e = 0; e < index.size; e++) hllAddHash(registers, index.hash(e));
      this.registers = registers;
      this.index = null;
    }
  }

  toState(): DistinctState {
    const index = this.index;
    if (index === null) return { values: [], hll: Uint8Array.from(this.registers!) };
    const values = new Array<string>(index.size);
    for (let e = 0; e < index.size; e++) values[e] = index.key(e);
    return { values: values.sort(compareStrings), hll: null };
  }
}

class ColumnAccount {
  events = 0;
  /** By the aggregator's type index. */
  readonly byType: number[] = [];
  readonly users = new ByteDistinct();
  readonly sessions = new ByteDistinct();
  firstAt = Infinity;
  lastAt = -Infinity;
  readonly value = new MomentsAccumulator();
  readonly valueSketch = new QuantileSketchAccumulator();
}

const USER_PREFIX = Buffer.from('user:', 'utf8');

/**
 * Aggregates the accepted events of column blocks (readRawEventColumns) into per-account states:
 * the metric engine's hot path. It works on the UTF-8 bytes in the block: an account, event type,
 * user or session becomes a JS string only the first time it is seen, and distinct sets hash
 * bytes directly. `states()` is exactly what PartitionAggregator gives for the same accepted events
 * (a test holds the two to it), so partials do not depend on which path read them.
 */
export class ColumnPartitionAggregator {
  private readonly accountIndex = new ByteKeyIndex(1024);
  private readonly accounts: ColumnAccount[] = [];
  private readonly typeIndex = new ByteKeyIndex(16);
  private implicitSession = new Uint8Array(256);
  accepted = 0;

  addBlock(block: EventColumns): void {
    const { bytes, accepted, accountAt, accountLen, typeAt, typeLen, userAt, userLen, sessionAt, sessionLen } = block;
    const { occurredAt, value } = block;
    const accounts = this.accounts;
    for (let i = 0; i < block.count; i++) {
      if (accepted[i] === 0) continue;
      const aAt = accountAt[i];
      const aLen = accountLen[i];
      const a = this.accountIndex.findOrAdd(bytes, aAt, aLen, murmur3Bytes(bytes, aAt, aLen));
      if (this.accountIndex.added) accounts.push(new ColumnAccount());
      const acc = accounts[a];
      acc.events++;
      const tAt = typeAt[i];
      const tLen = typeLen[i];
      const t = this.typeIndex.findOrAdd(bytes, tAt, tLen, murmur3Bytes(bytes, tAt, tLen));
      while (acc.byType.length <= t) acc.byType.push(0);
      acc.byType[t]++;
      const uAt = userAt[i];
      const uLen = userLen[i];
      acc.users.add(bytes, uAt, uLen, murmur3Bytes(bytes, uAt, uLen));
      const sAt = sessionAt[i];
      if (sAt >= 0) {
        const sLen = sessionLen[i];
        acc.sessions.add(bytes, sAt, sLen, murmur3Bytes(bytes, sAt, sLen));
      } else {
        // No session id: one implicit session per user, keyed "user:<userId>" as in PartitionAggregator.
        const n = USER_PREFIX.length + uLen;
        if (this.implicitSession.length < n) {
          this.implicitSession = new Uint8Array(n * 2);
        }
        const scratch = this.implicitSession;
        scratch.set(USER_PREFIX, 0);
        scratch.set(bytes.subarray(uAt, uAt + uLen), USER_PREFIX.length);
        acc.sessions.add(scratch, 0, n, murmur3Bytes(scratch, 0, n));
      }
      const at = occurredAt[i];
      if (at < acc.firstAt) acc.firstAt = at;
      if (at > acc.lastAt) acc.lastAt = at;
      const v = value[i];
      acc.value.add(v);
      acc.valueSketch.add(v);
      this.accepted++;
    }
  }

  get accountCount(): number {
    return this.accounts.length;
  }

  /** The partition's partial states, sorted by accountId. */
  states(): AccountDayState[] {
    const types = Array.from({ length: this.typeIndex.size }, (_, t) => this.typeIndex.key(t));
    return this.accounts
      .map((acc, a): AccountDayState => {
        const byType = new Map<string, number>();
        acc.byType.forEach((n, t) => {
          if (n > 0) byType.set(types[t], n);
        });
        return {
          accountId: this.accountIndex.key(a),
          events: acc.events,
          eventsByType: sortedCounts(byType),
          users: acc.users.toState(),
          sessions: acc.sessions.toState(),
          firstAt: acc.events ? acc.firstAt : null,
          lastAt: acc.events ? acc.lastAt : null,
          value: acc.value.toState(),
          valueSketch: acc.valueSketch.toState(),
        };
      })
      .sort((x, y) => compareStrings(x.accountId, y.accountId));
  }
}
