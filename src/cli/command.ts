import type { CommandSpec } from './args';
import { UsageError } from './args';

/** One `daybreak` subcommand: its option spec (parsing and usage) and what it does with the parsed options. */
export interface Command {
  spec: CommandSpec;
  /**
   * Runs only after the spec accepted the line. `args` holds option values by name (a set boolean
   * flag reads 'true'); `positionals` the subcommand words (`rollout promote ...` gives ['promote']).
   */
  run(args: Map<string, string>, positionals?: string[]): Promise<void>;
}

export function requireOption(args: Map<string, string>, name: string): string {
  const value = args.get(name);
  if (value === undefined || value === 'true') throw new UsageError(`--${name} is required`);
  return value;
}

export function numberOption(args: Map<string, string>, name: string, fallback: number): number {
  const raw = args.get(name);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0)
    throw new UsageError(`--${name} ${JSON.stringify(raw)} must be a non-negative number`);
  return value;
}
