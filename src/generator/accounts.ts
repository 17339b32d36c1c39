import type { AccountAttributes, LifecycleStage } from '../common/events';
import { addDays } from '../common/days';
import type { Rng } from './random';
import { accountName } from './text';

/** How active an account in a stage is, relative to its base weight. */
const STAGE_ACTIVITY: Record<LifecycleStage, number> = {
  trial: 0.6,
  onboarding: 0.8,
  adopting: 1,
  mature: 1.2,
  at_risk: 0.35,
  churned: 0.02,
};

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

const INITIAL: [LifecycleStage, number][] = [
  ['trial', 0.1],
  ['onboarding', 0.12],
  ['adopting', 0.25],
  ['mature', 0.38],
  ['at_risk', 0.1],
  ['churned', 0.05],
];
const PLANS = ['starter', 'team', 'business', 'enterprise'];

export interface GeneratedAccount {
  accountId: string;
  name: string;
  stage: LifecycleStage;
  plan: string;
  contractValue: number;
  renewalDate: string | null;
  seats: number;
  /** Heavy-tailed base activity (Pareto): a few accounts produce most events. */
  weight: number;
  /** Whether the account is billed through the product (a minority): it emits invoice/payment events. */
  billing: boolean;
  /** User ids, built once (users are picked per event, skewed towards the first). */
  users: string[];
}

function pickStage(rng: Rng, table: [LifecycleStage, number][]): LifecycleStage {
  let u = rng.float();
  for (const [stage, p] of table) {
    if (u < p) return stage;
    u -= p;
  }
  return table[table.length - 1][0];
}

export function generateAccounts(rng: Rng, count: number, firstDay: string): GeneratedAccount[] {
  return Array.from({ length: count }, (_, i): GeneratedAccount => {
    const accountId = `acc-${String(i).padStart(5, '0')}`;
    const seats = Math.max(1, Math.round(rng.pareto(1.3, 2000) * 3));
    const plan = rng.pick(PLANS);
    return {
      accountId,
      name: accountName(rng, i),
      stage: pickStage(rng, INITIAL),
      plan,
      contractValue: Math.round(seats * (PLANS.indexOf(plan) + 1) * 120 * (0.5 + rng.float()) * 100) / 100,
      renewalDate: rng.chance(0.85) ? addDays(firstDay, 1 + rng.int(365)) : null,
      seats,
      weight: rng.pareto(1.1),
      billing: rng.chance(0.2),
      users: Array.from({ length: seats }, (_, u) => `${accountId}-u${u}`),
    };
  });
}

/** Moves each account one day on: a stage transition now and then, seats drifting. */
export function stepAccounts(rng: Rng, accounts: GeneratedAccount[]): void {
  for (const account of accounts) {
    for (const [next, p] of TRANSITIONS[account.stage]) {
      if (rng.chance(p)) {
        account.stage = next;
        break;
      }
    }
    if (rng.chance(0.02)) {
      account.seats = Math.max(1, account.seats + (rng.chance(0.6) ? 1 : -1));
      while (account.users.length < account.seats) account.users.push(`${account.accountId}-u${account.users.length}`);
    }
  }
}

export function activityWeight(account: GeneratedAccount): number {
  return account.weight * STAGE_ACTIVITY[account.stage];
}

export function attributesOf(tenantId: string, account: GeneratedAccount): AccountAttributes {
  return {
    tenantId,
    accountId: account.accountId,
    accountName: account.name,
    lifecycleStage: account.stage,
    plan: account.plan,
    contractValue: account.contractValue,
    renewalDate: account.renewalDate,
    seats: account.seats,
  };
}
