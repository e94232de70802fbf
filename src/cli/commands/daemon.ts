import { Option, type Command } from 'commander';
import { JsonLogger } from '../../log/json-logger.js';
import { parseListenAddress } from '../../scheduler/health-server.js';
import { Daemon } from '../../scheduler/daemon.js';
import { configOption, syncOption, toCount, type CliContext } from '../cli-context.js';
import { EXIT } from '../exit-codes.js';
import { onStopSignals } from '../stop-signals.js';

interface DaemonCommandOptions {
  config: string;
  sync: string[];
  listen?: string;
  runOnStart?: boolean;
  logFormat?: 'json' | 'text';
  stopTimeout: number;
}

export function registerDaemon(program: Command, ctx: CliContext): void {
  program
    .command('daemon')
    .description('run every sync on its schedule until stopped (SIGTERM or SIGINT)')
    .addOption(configOption())
    .addOption(syncOption())
    .option(
      '--listen <host:port>',
      'serve /healthz and /metrics, e.g. 127.0.0.1:9464; without a host (:9464), on loopback only',
    )
    .option('--run-on-start', 'also run every sync once at start')
    .addOption(
      new Option('--log-format <format>', 'log lines: text on a terminal, json lines otherwise').choices([
        'json',
        'text',
      ]),
    )
    .option('--stop-timeout <seconds>', 'how long a stop waits for runs to finish', toCount, 25)
    .action(async (opts: DaemonCommandOptions) => {
      const listen = opts.listen === undefined ? undefined : parseListenAddress(opts.listen);
      const config = await ctx.load(opts.config);
      const format = opts.logFormat ?? (process.stderr.isTTY ? 'text' : 'json');
      const logger =
        // Raw: the JSON logger redacts each value before it serializes the line.
        format === 'json' ? JsonLogger.create(ctx.redactor, (line) => ctx.io.out(line)) : ctx.logger();

      // Handlers first: a signal during start-up stops the daemon as soon as it is up.
      let requested: (signal: string) => void = () => undefined;
      const stopRequested = new Promise<string>((resolve) => (requested = resolve));
      const stopListening = onStopSignals({
        stop: (signal) => requested(signal),
        force: (signal) => {
          logger.warn(
            `${signal} again: exiting now; unfinished runs will be marked abandoned by the next run`,
          );
          process.exit(signal === 'SIGINT' ? 130 : 143);
        },
      });
      const onHangup = () => logger.warn('SIGHUP ignored: config changes need a restart');
      process.on('SIGHUP', onHangup);
      try {
        const daemon = await Daemon.start(config, {
          logger,
          syncs: opts.sync,
          runOnStart: opts.runOnStart,
          listen,
          stopTimeoutMs: opts.stopTimeout * 1000,
        });
        const signal = await stopRequested;
        logger.info(`${signal} received`);
        const result = await daemon.stop();
        ctx.exitCode = result.forced ? EXIT.syncFailed : EXIT.ok;
        // Runs still going hold sockets and timers; a stop that timed out must still end the process.
        if (result.forced) setTimeout(() => process.exit(EXIT.syncFailed), 1000).unref();
      } finally {
        stopListening();
        process.off('SIGHUP', onHangup);
      }
    });
}
