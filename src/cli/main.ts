import type { CommandSpec } from './args';
import { UsageError, formatUsage, parseCommandLine, synopsis } from './args';
import { COMMANDS } from './commands';
import { closestName } from '../common/did-you-mean';

// `daybreak status | head -1`: the reader went away, which is no error of ours.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

/** Exit status of a command line that was refused before anything ran. */
const USAGE_EXIT = 2;

function commandList(): string {
  const names = COMMANDS.map((c) => synopsis(c.spec));
  return [
    'usage: daybreak <command> [options]   (daybreak <command> --help for its options)',
    '',
    'commands:',
    ...COMMANDS.map((c, i) => `  ${names[i]}\n      ${c.spec.description.split('\n')[0]}`),
    "  daybreak help [command]\n      Lists the commands, or prints one command's usage.",
  ].join('\n');
}

function findCommand(name: string) {
  const command = COMMANDS.find((c) => c.spec.name === name);
  if (command) return command;
  const near = closestName(
    name,
    COMMANDS.map((c) => c.spec.name),
  );
  throw new UsageError(`unknown command ${JSON.stringify(name)}${near ? ` (did you mean ${near}?)` : ''}`);
}

async function main(argv: string[]): Promise<void> {
  const [name, ...rest] = argv;
  // No command is a mistake (exit 2), asking for help is not (exit 0).
  if (name === undefined) throw new UsageError('no command given');
  if (name === 'help' || name === '--help' || name === '-h') {
    console.log(rest[0] ? formatUsage(findCommand(rest[0]).spec) : commandList());
    return;
  }
  const command = findCommand(name);
  const line = parseCommandLine(command.spec, rest);
  if (line.help) {
    console.log(formatUsage(command.spec));
    return;
  }
  try {
    await command.run(line.args, line.positionals);
  } catch (error) {
    // A command's own check of its options (requireOption) is a usage error of that command.
    if (error instanceof UsageError && !error.command) throw new UsageError(error.message, command.spec);
    throw error;
  }
}

function usageOf(spec: CommandSpec | undefined): string {
  return spec ? formatUsage(spec) : commandList();
}

/** The message and its causes: an update refused by a validator arrives as "Workflow Update failed" caused by the reason. */
function explain(error: unknown): string {
  const messages: string[] = [];
  for (let e: unknown = error; e instanceof Error && messages.length < 5; e = e.cause) messages.push(e.message);
  return messages.length ? messages.join(': ') : String(error);
}

main(process.argv.slice(2)).catch((error: unknown) => {
  if (error instanceof UsageError) {
    console.error(`daybreak: ${error.message}\n\n${usageOf(error.command)}`);
    process.exit(USAGE_EXIT);
  }
  console.error(`daybreak: ${explain(error)}`);
  process.exit(1);
});
