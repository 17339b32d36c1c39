/** Parses `--name value` and `--flag` pairs; flags without a value are recorded as 'true'. */
export function parseArgs(argv: string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('--')) throw new Error(`unexpected argument ${JSON.stringify(arg)}`);
    const name = arg.slice(2);
    const next = argv[i + 1];
    if (next === undefined || next.startsWith('--')) out.set(name, 'true');
    else {
      out.set(name, next);
      i++;
    }
  }
  return out;
}
