import { parseArgs } from './args';
import { COMMANDS } from './commands';

function usage(): string {
  return `usage: daybreak <command> [options]\n\ncommands:\n${COMMANDS.map((c) => `  ${c.usage}`).join('\n')}\n  help\n      Lists the commands.\n`;
}

async function main(argv: string[]): Promise<void> {
  const [name, ...rest] = argv;
  if (name === undefined || name === 'help' || name === '--help') {
    console.log(usage());
    return;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) throw new Error(`unknown command ${JSON.stringify(name)}\n${usage()}`);
  const positionals: string[] = [];
  while (rest.length && !rest[0].startsWith('--')) positionals.push(rest.shift()!);
  await command.run(parseArgs(rest), positionals);
}

main(process.argv.slice(2)).catch((error: unknown) => {
  console.error(`daybreak: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
