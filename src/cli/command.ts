/** One `daybreak` subcommand: its usage lines and what it does with the parsed `--name value` options. */
export interface Command {
  name: string;
  /** Usage lines shown by `daybreak help`, first line `name [options]`. */
  usage: string;
  /** `positionals` are the words before the first option (`rollout promote ...` gives ['promote']). */
  run(args: Map<string, string>, positionals?: string[]): Promise<void>;
}

export function requireOption(args: Map<string, string>, name: string): string {
  const value = args.get(name);
  if (value === undefined || value === 'true') throw new Error(`--${name} is required`);
  return value;
}

export function numberOption(args: Map<string, string>, name: string, fallback: number): number {
  const raw = args.get(name);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0)
    throw new Error(`--${name} ${JSON.stringify(raw)} must be a non-negative number`);
  return value;
}
