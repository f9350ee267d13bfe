import { type Command, type CommandContext, commands } from './cli/commands.ts';
import { EXIT, type Io, UsageError } from './cli/io.ts';
import { GatehouseError, oneLine } from './errors.ts';

const GLOBAL_HELP = `gatehouse: self-hosted identity center

usage: gatehouse [--config FILE] [--debug] <command> [options]

commands:
${Object.entries(commands)
  .map(([name, c]) => `  ${name.padEnd(10)} ${c.summary}`)
  .join('\n')}
  help       show this help (gatehouse <command> --help for one command)

global options:
  --config FILE  configuration file (default ./gatehouse.yaml when present; env GATEHOUSE_CONFIG)
  --debug        print stack traces of errors
exit codes: 0 success, 1 failure, 2 usage or configuration error`;

/**
 * Runs one command line. Errors are printed on one line on stderr (with the stack only under
 * --debug); the return value is the exit code.
 */
export async function runCli(argv: string[], io: Io, stopSignal: Promise<void>): Promise<number> {
  const args = [...argv];
  let configFile: string | undefined;
  let debug = false;
  while (args[0]?.startsWith('-')) {
    const flag = args.shift()!;
    if (flag === '--debug') debug = true;
    else if (flag === '--config') configFile = args.shift();
    else if (flag.startsWith('--config=')) configFile = flag.slice('--config='.length);
    else if (flag === '--help' || flag === '-h') args.unshift('help');
    else if (flag === '--version') args.unshift('version');
    else return usage(io, `unknown option ${flag}`);
  }
  const name = args.shift();
  if (!name || name === 'help') {
    const target = name === 'help' && args[0] ? commands[args[0]] : undefined;
    io.stdout(target ? `${target.summary}\n\nusage: ${target.usage}` : GLOBAL_HELP);
    return name ? EXIT.ok : EXIT.usage;
  }
  if (name === 'version') {
    io.stdout('gatehouse 0.1.0');
    return EXIT.ok;
  }
  const command: Command | undefined = commands[name];
  if (!command) return usage(io, `unknown command "${name}"`);
  const context: CommandContext = { io, configFile, stopSignal };
  try {
    return await command.run(args, context);
  } catch (error) {
    if (error instanceof UsageError) return usage(io, `${name}: ${error.message}`, command);
    io.stderr(`gatehouse ${name}: ${oneLine(error)}`);
    if (debug && error instanceof Error && error.stack) io.stderr(error.stack);
    const configProblem = error instanceof GatehouseError && error.code === 'config.invalid';
    return configProblem ? EXIT.usage : EXIT.failure;
  }
}

function usage(io: Io, message: string, command?: Command): number {
  io.stderr(
    `gatehouse: ${message}\n${command ? `usage: ${command.usage}` : 'run gatehouse --help for the commands'}`,
  );
  return EXIT.usage;
}
