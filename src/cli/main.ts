import { readFile } from 'node:fs/promises';
import { Command, CommanderError } from 'commander';
import { CohortSyncError, ConfigError, UsageError, errorMessage } from '../errors.js';
import { terminalText } from '../log/terminal-text.js';
import { CliContext, type Io } from './cli-context.js';
import { EXIT } from './exit-codes.js';

type Register = (program: Command, ctx: CliContext) => void;

/**
 * Every command's module, in the order `--help` lists them, imported only when needed: a command pulls in
 * the config schema, kysely, the Braze client, pino or a warehouse's SDK, and `--version` or `validate`
 * should not wait for the others' (start-up target: docs/benchmarks.md).
 */
const COMMANDS: readonly (readonly [name: string, load: () => Promise<Register>])[] = [
  ['init', async () => (await import('./commands/init.js')).registerInit],
  ['validate', async () => (await import('./commands/validate.js')).registerValidate],
  ['plan', async () => (await import('./commands/plan.js')).registerPlan],
  ['run', async () => (await import('./commands/run.js')).registerRun],
  ['daemon', async () => (await import('./commands/daemon.js')).registerDaemon],
  ['status', async () => (await import('./commands/status.js')).registerStatus],
  ['emulator', async () => (await import('./commands/emulator.js')).registerEmulator],
];

/**
 * The commands to register for `argv`: the one it names; none for `--version` alone; all of them for help,
 * no command, or an unknown one (so that commander lists them, or suggests the one meant).
 */
function commandsFor(argv: readonly string[]): typeof COMMANDS {
  const [first] = argv.filter((arg) => !arg.startsWith('-'));
  const named = COMMANDS.filter(([name]) => name === first);
  if (named.length > 0) return named;
  const versionOnly = argv.length > 0 && argv.every((arg) => arg === '-V' || arg === '--version');
  return versionOnly ? [] : COMMANDS;
}

const defaultIo: Io = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
};

/** Runs the CLI and returns the exit code (never calls process.exit, so tests can call it). */
export async function main(argv: readonly string[], io: Io = defaultIo): Promise<number> {
  const ctx = new CliContext(io);
  const program = new Command('cohort-sync')
    .description('Sync warehouse SQL audiences to Braze cohorts; deltas and audit live in the warehouse.')
    .version(await packageVersion())
    .exitOverride()
    .configureOutput({ writeOut: io.out, writeErr: io.err })
    .showHelpAfterError('(run with --help for usage)');
  for (const [, load] of commandsFor(argv)) (await load())(program, ctx);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return ctx.exitCode;
  } catch (error) {
    return reportError(error, ctx);
  }
}

/** User errors get one clear line and exit 2; failures exit 1; a stack trace only on request. */
function reportError(error: unknown, ctx: CliContext): number {
  // An error can quote the warehouse or Braze, and so carry control characters: show them escaped.
  const say = (text: string) => ctx.io.err(terminalText(ctx.redactor.redact(text)));
  if (error instanceof CommanderError) {
    const benign = ['commander.helpDisplayed', 'commander.version', 'commander.help'];
    return benign.includes(error.code) ? EXIT.ok : EXIT.badConfig;
  }
  if (error instanceof ConfigError || error instanceof UsageError) {
    say(`error: ${error.message}\n`);
    return EXIT.badConfig;
  }
  say(`error: ${errorMessage(error)}\n`);
  if (!(error instanceof CohortSyncError)) {
    if (process.env.COHORT_SYNC_DEBUG && error instanceof Error) say(`${error.stack ?? ''}\n`);
    else say('(unexpected error; set COHORT_SYNC_DEBUG=1 to see where it came from, and please report it)\n');
  }
  return EXIT.syncFailed;
}

async function packageVersion(): Promise<string> {
  const pkg = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}
