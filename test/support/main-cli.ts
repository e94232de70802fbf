import { main } from '../../src/cli/main.js';
import type { CliResult } from './cli.js';
import { captureForSecretScan } from './secret-scan.js';

/** Runs the CLI in this process (faster than a child process), capturing its output. */
export async function mainCli(args: string[]): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const code = await main(args, {
    out: (text) => (stdout += text),
    err: (text) => (stderr += text),
  });
  captureForSecretScan(`output of cohort-sync ${args[0] ?? ''} (in process)`, stdout + stderr);
  return { code, stdout, stderr };
}
