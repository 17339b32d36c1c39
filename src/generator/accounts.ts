import type { AccountAttributes, LifecycleStage } from '../common/events';
import { addDays } from '../common/days';
import { InvalidInputError } from '../common/errors';
import type { Rng } from './random';
import { accountNameOf, drawAccountName } from './text';

const STAGES: readonly LifecycleStage[] = ['trial', 'onboarding', 'adopting', 'mature', 'at_risk', 'churned'];
const AT_RISK = STAGES.indexOf('at_risk');

/** How active an account in a stage is, relative to its base weight (by stage index). */
const STAGE_ACTIVITY = Float64Array.from(
  STAGES.map(
    (stage) => ({ trial: 0.6, onboarding: 0.8, adopting: 1, mature: 1.2, at_risk: 0.35, churned: 0.02 })[stage],
  ),
);

/** Daily stage transitions: [next stage, probability per day]. */
const TRANSITIONS: Record<LifecycleStage, [LifecycleStage, number][]> = {
  trial: [
    ['onboarding', 0.08],
    ['churned', 0.03],
  ],
  onboarding: [['adopting', 0.06]],
  adopting: [
    ['mature', 0.04],
    ['at_risk', 0.01],
  ],
  mature: [['at_risk', 0.01]],
  at_risk: [
    ['mature', 0.04],
    ['churned', 0.03],
  ],
  churned: [['trial', 0.002]],
};
const TRANSITION_INDEX: [number, number][][] = STAGES.map((stage) =>
  TRANSITIONS[stage].map(([next, p]): [number, number] => [STAGES.indexOf(next), p]),
);

const INITIAL: [LifecycleStage, number][] = [
  ['trial', 0.1],
  ['onboarding', 0.12],
  ['adopting', 0.25],
  ['mature', 0.38],
  ['at_risk', 0.1],
  ['churned', 0.05],
];
const PLANS = ['starter', 'team', 'business', 'enterprise'];
export const MAX_ACCOUNTS = 50_000_000;

function pickStage(rng: Rng, table: [LifecycleStage, number][]): LifecycleStage {
  let u = rng.float();
  for (const [stage, p] of table) {
    if (u < p) return stage;
    u -= p;
  }
  return table[table.length - 1][0];
}

/**
 * A tenant's accounts as columns (struct of arrays), about 31 bytes an account: millions of
 * accounts would not fit as one JS object (with a users array) each. Strings (ids, names, user
 * ids, renewal dates) are made when asked for. Draws from the rng in the order the generator has
 * always used, so a seed gives the same accounts as before the table existed.
 */
export class AccountTable {
  /** Heavy-tailed base activity (Pareto): a few accounts produce most events. */
  readonly weight: Float64Array;
  readonly stage: Uint8Array;
  readonly plan: Uint8Array;
  readonly contractValue: Float64Array;
  /** Days after the first day to the renewal (1..365); 0: no renewal date. */
  readonly renewal: Uint16Array;
  readonly seats: Uint32Array;
  /** User ids made so far (`<accountId>-u<k>`, k below this): seats going down keep their users. */
  readonly users: Uint32Array;
  /** Whether the account is billed through the product (a minority): it emits invoice/payment events. */
  readonly billing: Uint8Array;
  private readonly nameStem: Uint8Array;
  private readonly nameSuffix: Uint8Array;
  private readonly idWidth: number;
  private readonly renewalDays: string[];

  constructor(
    rng: Rng,
    readonly count: number,
    firstDay: string,
  ) {
    if (!Number.isInteger(count) || count < 1 || count > MAX_ACCOUNTS) {
      throw new InvalidInputError(`accounts ${count} must be an integer from 1 to ${MAX_ACCOUNTS}`);
    }
    this.weight = new Float64Array(count);
    this.stage = new Uint8Array(count);
    this.plan = new Uint8Array(count);
    this.contractValue = new Float64Array(count);
    this.renewal = new Uint16Array(count);
    this.seats = new Uint32Array(count);
    this.users = new Uint32Array(count);
    this.billing = new Uint8Array(count);
    this.nameStem = new Uint8Array(count);
    this.nameSuffix = new Uint8Array(count);
    // Five digits up to 100,000 accounts (the ids of every tenant before accounts were a parameter), more beyond.
    this.idWidth = Math.max(5, String(count - 1).length);
    this.renewalDays = Array.from({ length: 366 }, (_, d) => (d ? addDays(firstDay, d) : ''));
    for (let i = 0; i < count; i++) {
      const seats = Math.max(1, Math.round(rng.pareto(1.3, 2000) * 3));
      const plan = rng.int(PLANS.length);
      const name = drawAccountName(rng);
      this.nameStem[i] = name.stem;
      this.nameSuffix[i] = name.suffix;
      this.stage[i] = STAGES.indexOf(pickStage(rng, INITIAL));
      this.plan[i] = plan;
      this.contractValue[i] = Math.round(seats * (plan + 1) * 120 * (0.5 + rng.float()) * 100) / 100;
      this.renewal[i] = rng.chance(0.85) ? 1 + rng.int(365) : 0;
      this.seats[i] = seats;
      this.users[i] = seats;
      this.weight[i] = rng.pareto(1.1);
      this.billing[i] = rng.chance(0.2) ? 1 : 0;
    }
  }

  accountId(i: number): string {
    return `acc-${String(i).padStart(this.idWidth, '0')}`;
  }

  userId(i: number, user: number): string {
    return `${this.accountId(i)}-u${user}`;
  }

  atRisk(i: number): boolean {
    return this.stage[i] === AT_RISK;
  }

  activityWeight(i: number): number {
    return this.weight[i] * STAGE_ACTIVITY[this.stage[i]];
  }

  /** Every account's activity weight, in account order. */
  activityWeights(): Float64Array {
    const out = new Float64Array(this.count);
    for (let i = 0; i < this.count; i++) out[i] = this.activityWeight(i);
    return out;
  }

  /** Moves each account one day on: a stage transition now and then, seats drifting. */
  step(rng: Rng): void {
    for (let i = 0; i < this.count; i++) {
      for (const [next, p] of TRANSITION_INDEX[this.stage[i]]) {
        if (rng.chance(p)) {
          this.stage[i] = next;
          break;
        }
      }
      if (rng.chance(0.02)) {
        const seats = Math.max(1, this.seats[i] + (rng.chance(0.6) ? 1 : -1));
        this.seats[i] = seats;
        if (this.users[i] < seats) this.users[i] = seats;
      }
    }
  }

  attributes(tenantId: string, i: number): AccountAttributes {
    const renewal = this.renewal[i];
    return {
      tenantId,
      accountId: this.accountId(i),
      accountName: accountNameOf(this.nameStem[i], this.nameSuffix[i], i),
      lifecycleStage: STAGES[this.stage[i]],
      plan: PLANS[this.plan[i]],
      contractValue: this.contractValue[i],
      renewalDate: renewal ? this.renewalDays[renewal] : null,
      seats: this.seats[i],
    };
  }

  /** The attribute snapshot's records, one at a time (written as a stream, never held). */
  *attributeRecords(tenantId: string): Generator<AccountAttributes> {
    for (let i = 0; i < this.count; i++) yield this.attributes(tenantId, i);
  }
}
