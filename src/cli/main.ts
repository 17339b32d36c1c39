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

/** The message and its causes: an update refused by a validator arrives as "Workflow Update failed" caused by the reason. */
function explain(error: unknown): string {
  const messages: string[] = [];
  for (let e: unknown = error; e instanceof Error && messages.length < 5; e = e.cause) messages.push(e.message);
  return messages.length ? messages.join(': ') : String(error);
}

main(process.argv.slice(2)).catch((error: unknown) => {
  console.error(`daybreak: ${explain(error)}`);
  process.exit(1);
});
