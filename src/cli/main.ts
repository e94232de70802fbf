import { readFile } from 'node:fs/promises';
import { Command, CommanderError } from 'commander';
import { CohortSyncError, ConfigError, UsageError, errorMessage } from '../errors.js';
import { CliContext, type Io } from './cli-context.js';
import { registerDaemon } from './commands/daemon.js';
import { registerEmulator } from './commands/emulator.js';
import { registerInit } from './commands/init.js';
import { registerPlan } from './commands/plan.js';
import { registerRun } from './commands/run.js';
import { registerStatus } from './commands/status.js';
import { registerValidate } from './commands/validate.js';
import { EXIT } from './exit-codes.js';

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
  for (const register of [
    registerInit,
    registerValidate,
    registerPlan,
    registerRun,
    registerDaemon,
    registerStatus,
    registerEmulator,
  ]) {
    register(program, ctx);
  }
  try {
    await program.parseAsync(argv, { from: 'user' });
    return ctx.exitCode;
  } catch (error) {
    return reportError(error, ctx);
  }
}

/** User errors get one clear line and exit 2; failures exit 1; a stack trace only on request. */
function reportError(error: unknown, ctx: CliContext): number {
  const say = (text: string) => ctx.io.err(ctx.redactor.redact(text));
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
