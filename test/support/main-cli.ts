import { main } from '../../src/cli/main.js';
import type { CliResult } from './cli.js';

/** Runs the CLI in this process (faster than a child process), capturing its output. */
export async function mainCli(args: string[]): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const code = await main(args, {
    out: (text) => (stdout += text),
    err: (text) => (stderr += text),
  });
  return { code, stdout, stderr };
}
