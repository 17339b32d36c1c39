import { InvalidInputError } from '../common/errors';
import type { AggregateCheck } from './checks';
import { quantileShift } from './checks';
import type { AccountPredicate, CompareFn, Comparator } from './comparators';
import {
  accountPredicate,
  allowChange,
  comparator,
  exact,
  ignore,
  onlyAccounts,
  withBillingEvents,
} from './comparators';
import { matchesField } from './fields';

/** Which comparator judges which fields; the first rule whose pattern matches a field wins. */
export interface FieldRule {
  /** Field patterns (see matchesField): `healthScore`, `eventsByType`, `eventsByType.*`, `*`. */
  fields: string | readonly string[];
  /** A comparator, or the name of one registered in the registry the policy is resolved with. */
  comparator: Comparator | string;
}

/** A comparison policy, written for one change (or a general one such as `identical`). */
export interface ComparisonPolicy {
  name: string;
  description: string;
  rules: readonly FieldRule[];
  /** For fields no rule matches; default `exact`. */
  otherwise?: Comparator | string;
  checks?: readonly AggregateCheck[];
  /** How an account present on only one side counts; default `unexpected`. */
  missingAccounts?: 'unexpected' | 'expected';
}

/** A policy with every comparator looked up, ready for the engine. */
export interface ResolvedPolicy {
  name: string;
  description: string;
  comparatorFor(field: string): Comparator;
  checks: readonly AggregateCheck[];
  missingAccounts: 'unexpected' | 'expected';
}

type PolicyDefinition = ComparisonPolicy | ((registry: ComparisonRegistry) => ComparisonPolicy);

const NAME = /^[a-z0-9][a-z0-9._-]{0,62}$/;

function assertName(kind: string, name: string): string {
  if (!NAME.test(name)) throw new InvalidInputError(`${kind} name ${JSON.stringify(name)} is invalid: use [a-z0-9._-]`);
  return name;
}

/**
 * Comparators, account predicates and policies, registered by name. Activities take policy names in
 * their inputs (payloads carry names, never code); the worker's registry resolves them.
 */
export class ComparisonRegistry {
  private readonly comparators = new Map<string, Comparator>();
  private readonly predicates = new Map<string, AccountPredicate>();
  private readonly policies = new Map<string, PolicyDefinition>();

  /** Registers a custom comparator: a plain function judging one differing field of one account. */
  registerComparator(name: string, compare: CompareFn | Comparator): Comparator {
    const c = comparator(assertName('comparator', name), typeof compare === 'function' ? compare : compare.compare);
    this.comparators.set(name, c);
    return c;
  }

  comparator(name: string): Comparator {
    const c = this.comparators.get(name);
    if (!c)
      throw new InvalidInputError(`unknown comparator ${JSON.stringify(name)}; known: ${this.list(this.comparators)}`);
    return c;
  }

  registerPredicate(name: string, test: AccountPredicate['test']): AccountPredicate {
    const p = accountPredicate(assertName('predicate', name), test);
    this.predicates.set(name, p);
    return p;
  }

  predicate(name: string): AccountPredicate {
    const p = this.predicates.get(name);
    if (!p)
      throw new InvalidInputError(
        `unknown account predicate ${JSON.stringify(name)}; known: ${this.list(this.predicates)}`,
      );
    return p;
  }

  /**
   * Registers a policy under its name. A function is called at resolution time with this registry,
   * so a policy can use comparators and predicates registered after it.
   */
  registerPolicy(policy: PolicyDefinition, name = typeof policy === 'function' ? undefined : policy.name): void {
    if (!name) throw new InvalidInputError('registerPolicy(fn) needs the policy name as second argument');
    this.policies.set(assertName('policy', name), policy);
  }

  policyNames(): string[] {
    return [...this.policies.keys()].sort();
  }

  /** Looks a policy up and resolves its comparator names; throws InvalidInputError for unknown names. */
  policy(name: string): ResolvedPolicy {
    const definition = this.policies.get(name);
    if (!definition)
      throw new InvalidInputError(
        `unknown comparison policy ${JSON.stringify(name)}; known: ${this.list(this.policies)}`,
      );
    return this.resolve(typeof definition === 'function' ? definition(this) : definition);
  }

  resolve(policy: ComparisonPolicy): ResolvedPolicy {
    const lookup = (c: Comparator | string): Comparator => (typeof c === 'string' ? this.comparator(c) : c);
    const rules = policy.rules.map((rule) => ({
      patterns: typeof rule.fields === 'string' ? [rule.fields] : [...rule.fields],
      comparator: lookup(rule.comparator),
    }));
    const otherwise = lookup(policy.otherwise ?? exact);
    return {
      name: policy.name,
      description: policy.description,
      comparatorFor(field) {
        for (const rule of rules) if (rule.patterns.some((p) => matchesField(p, field))) return rule.comparator;
        return otherwise;
      },
      checks: policy.checks ?? [],
      missingAccounts: policy.missingAccounts ?? 'unexpected',
    };
  }

  private list(map: Map<string, unknown>): string {
    return [...map.keys()].sort().join(', ') || '(none)';
  }
}

/** Fields the v1 -> v2 change (a new health formula for accounts with billing events) may change. */
export const V1_TO_V2_CHANGED_FIELDS = ['healthScore', 'healthDelta', 'billingHealth'] as const;

/**
 * healthDelta is today's score minus yesterday's. When an account's score is the same in both
 * versions today, a different delta can only come from yesterday's score, which v2 may have changed
 * for an account that had billing events yesterday: expected, not a regression.
 */
export const carriedDelta: AccountPredicate = accountPredicate(
  'same-health-today',
  (primary, shadow) => primary.healthScore === shadow.healthScore,
);

/** `identical`: every field must be exactly equal and no account may be missing. */
export const identicalPolicy: ComparisonPolicy = {
  name: 'identical',
  description: 'Every field of every account is exactly equal; no account is missing on either side.',
  rules: [],
};

/**
 * `v1-to-v2`: v2 changes the health formula for accounts with billing events, and only them. On
 * those accounts healthScore, healthDelta and billingHealth may change; everywhere else, and every
 * other field, must be identical. As a guard against a formula gone wild, the healthScore p10/p50/p90
 * may move at most 20 points.
 */
export function v1ToV2Policy(registry: ComparisonRegistry): ComparisonPolicy {
  return {
    name: 'v1-to-v2',
    description:
      "v2 changes healthScore/healthDelta/billingHealth only for accounts with billing events (billingEvents > 0 on either side), and healthDelta also where today's healthScore is equal (the change is yesterday's); everything else is identical; healthScore quantiles move at most 20 points.",
    rules: [
      {
        fields: 'healthDelta',
        comparator: onlyAccounts(
          accountPredicate(
            'with-billing-events-or-same-health-today',
            (p, s) => registry.predicate('with-billing-events').test(p, s) || carriedDelta.test(p, s),
          ),
        ),
      },
      { fields: V1_TO_V2_CHANGED_FIELDS, comparator: onlyAccounts(registry.predicate('with-billing-events')) },
    ],
    checks: [quantileShift({ field: 'healthScore', maxAbsShift: 20 })],
  };
}

/** A registry with the built-in comparators (`exact`, `ignore`, `allow-change`), predicates and policies. */
export function createComparisonRegistry(): ComparisonRegistry {
  const registry = new ComparisonRegistry();
  registry.registerComparator('exact', exact);
  registry.registerComparator('ignore', ignore);
  registry.registerComparator('allow-change', allowChange);
  registry.registerPredicate(withBillingEvents.name, withBillingEvents.test);
  registry.registerPolicy(identicalPolicy);
  registry.registerPolicy(v1ToV2Policy, 'v1-to-v2');
  return registry;
}

/** The registry the worker's comparison activity uses unless given another. */
export const defaultComparisonRegistry: ComparisonRegistry = createComparisonRegistry();

/** Registers a custom comparator in the default registry. */
export function registerComparator(name: string, compare: CompareFn): Comparator {
  return defaultComparisonRegistry.registerComparator(name, compare);
}

/** Registers a policy in the default registry. */
export function registerPolicy(policy: PolicyDefinition, name?: string): void {
  defaultComparisonRegistry.registerPolicy(policy, name);
}
