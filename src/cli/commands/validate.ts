import type { Command } from 'commander';
import { configOption, type CliContext } from '../cli-context.js';

export function registerValidate(program: Command, ctx: CliContext): void {
  program
    .command('validate')
    .description('check the config file and exit')
    .addOption(configOption())
    .action(async (opts: { config: string }) => {
      const config = await ctx.load(opts.config);
      ctx.out(
        `${config.file}: OK, ${config.syncs.length} sync(s): ${config.syncs.map((s) => s.name).join(', ')}\n`,
      );
    });
}
