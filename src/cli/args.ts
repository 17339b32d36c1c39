import { parseArgs as parseNodeArgs } from 'node:util';
import { closestName } from '../common/did-you-mean';

/** `string` takes a value, `boolean` none; `number` takes a non-negative number, checked before the command runs. */
export type OptionKind = 'string' | 'boolean' | 'number';

export interface OptionSpec {
  /** Without the dashes: `tenant` is `--tenant`. */
  name: string;
  kind?: OptionKind;
  /** What the value looks like in the usage: `T`, `YYYY-MM-DD`. */
  placeholder?: string;
  description: string;
  required?: boolean;
  /** Shared by several commands and documented once for all (`--tenants-file`). */
  common?: boolean;
}

export interface SubcommandSpec {
  name: string;
  /** Options this subcommand cannot do without. */
  required?: string[];
  description?: string;
}

/** One command's options, from which both its parsing and its usage come. */
export interface CommandSpec {
  name: string;
  /** What it does, one or more lines. */
  description: string;
  options: OptionSpec[];
  /** Words before the options (`rollout promote`); the first is required unless defaultSubcommand is set. */
  subcommands?: SubcommandSpec[];
  defaultSubcommand?: string;
}

/** Bad command-line input: the CLI prints it with the command's usage and exits 2, running nothing. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
  constructor(
    message: string,
    /** The command whose usage to show; undefined for the command list. */
    readonly command?: CommandSpec,
  ) {
    super(message);
  }
}

export const HELP_OPTION: OptionSpec = { name: 'help', kind: 'boolean', description: 'prints this usage and exits' };

export interface ParsedCommandLine {
  /** Option values by name; a boolean flag that is set reads 'true', one that is not is absent. */
  args: Map<string, string>;
  positionals: string[];
  /** --help or -h was given: print the usage, run nothing. */
  help: boolean;
}

function kind(o: OptionSpec): OptionKind {
  return o.kind ?? 'string';
}

function flag(o: OptionSpec): string {
  return kind(o) === 'boolean' ? `--${o.name}` : `--${o.name} ${o.placeholder ?? 'VALUE'}`;
}

/** `daybreak backfill --tenant T --from YYYY-MM-DD [--dry-run] ...`: the command's one-line synopsis. */
export function synopsis(spec: CommandSpec): string {
  const words = [`daybreak ${spec.name}`];
  if (spec.subcommands) {
    const subs = spec.subcommands.map((s) => s.name).join('|');
    words.push(spec.defaultSubcommand ? `[${subs}]` : subs);
  }
  for (const o of spec.options) words.push(o.required ? flag(o) : `[${flag(o)}]`);
  return words.join(' ');
}

/** The usage `--help` prints: synopsis, description, subcommands and every option. */
export function formatUsage(spec: CommandSpec): string {
  const rows: [string, string][] = [...spec.options, HELP_OPTION].map((o) => [
    o.name === 'help' ? '-h, --help' : flag(o),
    `${o.description}${o.required ? ' (required)' : ''}`,
  ]);
  const width = Math.max(...rows.map(([f]) => f.length)) + 2;
  const lines = [`usage: ${synopsis(spec)}`, '', ...spec.description.split('\n').map((l) => `  ${l}`)];
  if (spec.subcommands?.length) {
    lines.push('', 'subcommands:');
    for (const s of spec.subcommands) {
      const needs = s.required?.length ? ` (needs ${s.required.map((r) => `--${r}`).join(', ')})` : '';
      lines.push(`  ${s.name.padEnd(width - 2)}${s.description ?? ''}${needs}`);
    }
  }
  lines.push('', 'options:', ...rows.map(([f, d]) => `  ${f.padEnd(width)}${d}`));
  return lines.join('\n');
}

function suggestion(given: string, known: string[], prefix: string): string {
  const near = closestName(given, known);
  return near ? ` (did you mean ${prefix}${near}?)` : '';
}

function optionName(message: string): string | undefined {
  return /'(-{1,2}[^' <]+)/.exec(message)?.[1];
}

/** Why node:util's parseArgs refused the line, in the command's own words. */
function explain(spec: CommandSpec, error: Error & { code?: string }, argv: string[]): string {
  const names = [...spec.options, HELP_OPTION].map((o) => o.name);
  const given = optionName(error.message);
  const known = given ? spec.options.find((o) => `--${o.name}` === given.split('=')[0]) : undefined;
  switch (error.code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION': {
      const bare = (given ?? '').replace(/^-+/, '').split('=')[0];
      return `unknown option ${given ?? '?'}${suggestion(bare, names, '--')}`;
    }
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      if (known && kind(known) === 'boolean') return `--${known.name} takes no value`;
      return `${known ? flag(known) : (given ?? 'an option')} needs a value`;
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL': {
      const word = /'([^']*)'/.exec(error.message)?.[1] ?? '';
      const before = argv[argv.indexOf(word) - 1];
      const flagBefore = spec.options.find((o) => `--${o.name}` === before && kind(o) === 'boolean');
      return `unexpected argument ${JSON.stringify(word)}${flagBefore ? ` (--${flagBefore.name} takes no value)` : ''}`;
    }
    default:
      return error.message;
  }
}

/**
 * Parses one command's arguments strictly (node:util parseArgs, `strict: true`): an unknown option,
 * a missing value, a stray word, a missing required option or a malformed number is a UsageError
 * before anything runs. `--help`/`-h` anywhere wins over everything else.
 */
export function parseCommandLine(spec: CommandSpec, argv: string[]): ParsedCommandLine {
  if (argv.some((a) => a === '--help' || a === '-h')) return { args: new Map(), positionals: [], help: true };
  let parsed: { values: Record<string, string | boolean | undefined>; positionals: string[] };
  try {
    parsed = parseNodeArgs({
      args: argv,
      strict: true,
      allowPositionals: Boolean(spec.subcommands),
      options: Object.fromEntries(
        spec.options.map((o) => [o.name, { type: kind(o) === 'boolean' ? ('boolean' as const) : ('string' as const) }]),
      ),
    });
  } catch (error) {
    throw new UsageError(explain(spec, error as Error & { code?: string }, argv), spec);
  }
  const positionals = [...parsed.positionals];
  let sub: SubcommandSpec | undefined;
  if (spec.subcommands) {
    const word = positionals[0] ?? spec.defaultSubcommand;
    const names = spec.subcommands.map((s) => s.name);
    if (word === undefined) throw new UsageError(`${spec.name} needs a subcommand: ${names.join(', ')}`, spec);
    sub = spec.subcommands.find((s) => s.name === word);
    if (!sub)
      throw new UsageError(
        `unknown ${spec.name} subcommand ${JSON.stringify(word)}${suggestion(word, names, '')}`,
        spec,
      );
    if (positionals.length > 1) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[1])}`, spec);
    if (!positionals.length) positionals.push(word);
  }
  const args = new Map<string, string>();
  for (const o of spec.options) {
    const value = parsed.values[o.name];
    if (value === undefined || value === false) continue;
    args.set(o.name, String(value));
    if (kind(o) === 'number' && !(Number.isFinite(Number(value)) && Number(value) >= 0 && String(value).trim() !== ''))
      throw new UsageError(`--${o.name} ${JSON.stringify(value)} must be a non-negative number`, spec);
  }
  const required = [...spec.options.filter((o) => o.required).map((o) => o.name), ...(sub?.required ?? [])];
  const missing = required.filter((name) => !args.has(name));
  if (missing.length)
    throw new UsageError(
      `${missing.map((m) => `--${m}`).join(', ')} ${missing.length === 1 ? 'is' : 'are'} required${sub ? ` for ${spec.name} ${sub.name}` : ''}`,
      spec,
    );
  return { args, positionals, help: false };
}
