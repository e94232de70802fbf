import { Command, CommanderError, Option } from 'commander';
import { DEFAULT_CONFIG_FILE, loadConfig } from '../config/load-config.js';
import type { Config } from '../config/types.js';
import { CohortSyncError, ConfigError, UsageError, errorMessage } from '../errors.js';
import { Redactor, TextLogger } from '../log/logger.js';
import { RunAudit } from '../state/run-audit.js';
import { runSyncs, selectSyncs, withWarehouse } from '../sync/run-syncs.js';
import { emulatorCommand, type EmulatorCommandOptions } from './commands/emulator.js';
import { formatPlan } from './commands/plan.js';
import { formatStatus } from './commands/status.js';
import { EXIT, exitCodeFor } from './exit-codes.js';
import { summaryLine } from './format-report.js';

interface Io {
  out: (text: string) => void;
  err: (text: string) => void;
}

const defaultIo: Io = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
};

/** Runs the CLI and returns the exit code (never calls process.exit, so tests can call it). */
export async function main(argv: readonly string[], io: Io = defaultIo): Promise<number> {
  let redactor = new Redactor([]);
  let exitCode: number = EXIT.ok;
  const load = async (file: string): Promise<Config> => {
    const config = await loadConfig(file);
    redactor = new Redactor(config.secrets);
    return config;
  };
  const out = (text: string) => io.out(redactor.redact(text));
  const logger = (quiet = false) => new TextLogger(redactor, {}, (line) => io.err(line), quiet);

  const program = new Command('cohort-sync')
    .description('Sync warehouse SQL audiences to Braze cohorts; deltas and audit live in the warehouse.')
    .version(await packageVersion())
    .exitOverride()
    .configureOutput({ writeOut: io.out, writeErr: io.err })
    .showHelpAfterError('(run with --help for usage)');
  const configOption = () => new Option('-c, --config <file>', 'config file').default(DEFAULT_CONFIG_FILE);
  const syncOption = () =>
    new Option('-s, --sync <name>', 'only this sync (repeatable)').argParser(collect).default([]);

  program
    .command('validate')
    .description('check the config file and exit')
    .addOption(configOption())
    .action(async (opts: { config: string }) => {
      const config = await load(opts.config);
      out(
        `${config.file}: OK, ${config.syncs.length} sync(s): ${config.syncs.map((s) => s.name).join(', ')}\n`,
      );
    });

  program
    .command('plan')
    .description(
      'dry run: show what a run would add and remove; nothing is sent, the snapshot is not touched',
    )
    .addOption(configOption())
    .addOption(syncOption())
    .option('--show <n>', 'print a sample of N ids of each kind (ids may be personal data)', toCount, 0)
    .option('--json', 'machine-readable output')
    .option('--allow-mass-removal', 'plan as if guardrails were overridden')
    .action(
      async (opts: {
        config: string;
        sync: string[];
        show: number;
        json?: boolean;
        allowMassRemoval?: boolean;
      }) => {
        const config = await load(opts.config);
        const reports = await runSyncs(config, {
          syncs: opts.sync,
          dryRun: true,
          sample: opts.show,
          allowMassRemoval: opts.allowMassRemoval,
          logger: logger(true),
        });
        out(
          opts.json
            ? `${JSON.stringify({ syncs: reports }, null, 2)}\n`
            : `${reports.map(formatPlan).join('\n\n')}\n`,
        );
        exitCode = reports.some((r) => r.status === 'failed') ? EXIT.syncFailed : EXIT.ok;
      },
    );

  program
    .command('run')
    .description('sync once: all syncs, or those named with --sync')
    .addOption(configOption())
    .addOption(syncOption())
    .option('--dry-run', 'compute and audit the changes without sending them')
    .option('--allow-mass-removal', 'override the guardrails for this run')
    .option('-q, --quiet', 'print only the summary line of each sync')
    .action(
      async (opts: {
        config: string;
        sync: string[];
        dryRun?: boolean;
        allowMassRemoval?: boolean;
        quiet?: boolean;
      }) => {
        const config = await load(opts.config);
        const stop = new AbortController();
        const onSignal = () => {
          io.err(
            'stopping: finishing requests in flight and saving what Braze confirmed (signal again to force)\n',
          );
          stop.abort();
          process.once('SIGINT', () => process.exit(130));
        };
        process.once('SIGINT', onSignal);
        process.once('SIGTERM', onSignal);
        try {
          const reports = await runSyncs(config, {
            syncs: opts.sync,
            dryRun: opts.dryRun,
            allowMassRemoval: opts.allowMassRemoval,
            logger: logger(opts.quiet),
            signal: stop.signal,
          });
          out(reports.map((r) => `${summaryLine(r)}\n`).join(''));
          exitCode = exitCodeFor(reports);
        } finally {
          process.off('SIGINT', onSignal);
          process.off('SIGTERM', onSignal);
        }
      },
    );

  program
    .command('status')
    .description('recent runs from sync_runs')
    .addOption(configOption())
    .addOption(syncOption())
    .option('-n, --limit <n>', 'runs to show', toCount, 20)
    .option('--json', 'machine-readable output')
    .action(async (opts: { config: string; sync: string[]; limit: number; json?: boolean }) => {
      const config = await load(opts.config);
      const syncs = selectSyncs(config, opts.sync).map((s) => s.name);
      const runs = await withWarehouse(config, (source) =>
        new RunAudit(source, config.state.schema).latest({
          limit: opts.limit,
          syncs: opts.sync.length > 0 ? syncs : undefined,
        }),
      );
      out(opts.json ? `${JSON.stringify({ runs }, null, 2)}\n` : `${formatStatus(runs)}\n`);
    });

  program
    .command('emulator')
    .description('run the local Braze cohort API emulator')
    .option('-p, --port <port>', 'port to listen on', '4010')
    .option('--host <host>', 'address to bind', '127.0.0.1')
    .option('--partner <name>', 'partner path name to accept', 'cohort-sync')
    .option(
      '--partner-api-key-env <var>',
      'environment variable holding the partner API key to accept',
      'BRAZE_PARTNER_API_KEY',
    )
    .option(
      '--data-import-key-env <var>',
      'environment variable holding the Data Import Key to accept',
      'BRAZE_DATA_IMPORT_KEY',
    )
    .option(
      '--users <file>',
      'JSON list of users ({external_id, device_ids, aliases}) that exist in the workspace',
    )
    .option(
      '--all-users-exist',
      'treat every identifier as an existing user (default when --users is not given)',
    )
    .option('--options <file>', 'YAML/JSON emulator options: partners, workspaces, users, faults')
    .action(async (opts: EmulatorCommandOptions) => {
      exitCode = await emulatorCommand(opts, io.out);
    });

  try {
    await program.parseAsync(argv, { from: 'user' });
    return exitCode;
  } catch (error) {
    return reportError(error, io, redactor);
  }
}

function reportError(error: unknown, io: Io, redactor: Redactor): number {
  if (error instanceof CommanderError) {
    return error.code === 'commander.helpDisplayed' ||
      error.code === 'commander.version' ||
      error.code === 'commander.help'
      ? EXIT.ok
      : EXIT.badConfig;
  }
  if (error instanceof ConfigError || error instanceof UsageError) {
    io.err(`error: ${redactor.redact(error.message)}\n`);
    return EXIT.badConfig;
  }
  if (error instanceof CohortSyncError) {
    io.err(`error: ${redactor.redact(error.message)}\n`);
    return EXIT.syncFailed;
  }
  io.err(`error: ${redactor.redact(errorMessage(error))}\n`);
  if (process.env.COHORT_SYNC_DEBUG && error instanceof Error)
    io.err(`${redactor.redact(error.stack ?? '')}\n`);
  else
    io.err('(unexpected error; set COHORT_SYNC_DEBUG=1 to see where it came from, and please report it)\n');
  return EXIT.syncFailed;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function toCount(value: string): number {
  const number = Number(value);
  if (!Number.isInteger(number) || number < 0)
    throw new UsageError(`expected a whole number, got "${value}"`);
  return number;
}

async function packageVersion(): Promise<string> {
  const { readFile } = await import('node:fs/promises');
  const pkg = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}
