import { execFile, spawn } from 'node:child_process';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { captureForSecretScan } from './secret-scan.js';

export const BIN = path.resolve(import.meta.dirname, '../../bin/cohort-sync.js');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the built CLI as a user would, as a child process. Its output is kept for the secret scan. */
export function runCli(
  args: string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string } = {},
): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { env: { PATH: process.env.PATH, ...options.env }, cwd: options.cwd, timeout: 60_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        captureForSecretScan(
          `output of cohort-sync ${args[0] ?? ''} (${new Date().toISOString()})`,
          stdout + stderr,
        );
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** A CLI child process the test can watch and signal. */
export interface SpawnedCli {
  readonly pid: number;
  /** Output so far. */
  output(): { stdout: string; stderr: string };
  /** Resolves once stdout or stderr matched `pattern`; rejects if the process exits first or time runs out. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<void>;
  signal(signal: NodeJS.Signals): void;
  /** Exit code (null when killed by a signal), the signal, and all output. */
  readonly exited: Promise<CliResult & { signal: NodeJS.Signals | null }>;
}

/** Starts the built CLI as a child process that a test can kill at a moment of its choosing. */
export function spawnCli(args: string[], options: { env?: NodeJS.ProcessEnv } = {}): SpawnedCli {
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { PATH: process.env.PATH, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  let done = false;
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<CliResult & { signal: NodeJS.Signals | null }>((resolve) => {
    child.on('close', (code, signal) => {
      done = true;
      captureForSecretScan(`output of cohort-sync ${args[0] ?? ''} (pid ${child.pid})`, stdout + stderr);
      resolve({ code: code ?? -1, signal, stdout, stderr });
    });
  });
  return {
    pid: child.pid ?? -1,
    output: () => ({ stdout, stderr }),
    async waitFor(pattern, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      while (!pattern.test(stdout) && !pattern.test(stderr)) {
        if (done) throw new Error(`cohort-sync exited before printing ${pattern}:\n${stdout}\n${stderr}`);
        if (Date.now() > deadline)
          throw new Error(`no ${pattern} after ${timeoutMs} ms:\n${stdout}\n${stderr}`);
        await sleep(10);
      }
    },
    signal(signal) {
      child.kill(signal);
    },
    exited,
  };
}

/**
 * Starts two `cohort-sync run` of one config at once while `gate` holds whichever run gets the sync lock
 * first at a known step, then opens the gate. `first` is what ended first: the run that found the lock
 * taken, or a message saying both held it.
 */
export async function twoRunsAtOnce(
  configFile: string,
  env: NodeJS.ProcessEnv,
  openGate: () => Promise<unknown> | void,
): Promise<{ first: CliResult | string; results: CliResult[] }> {
  const runs = [0, 1].map(() => spawnCli(['run', '--config', configFile], { env }));
  let first: CliResult | string;
  try {
    first = await Promise.race([
      ...runs.map((run) => run.exited),
      sleep(40_000).then(() => 'neither run ended while one waited at the gate: both hold the sync'),
    ]);
  } finally {
    await openGate();
  }
  return { first, results: await Promise.all(runs.map((run) => run.exited)) };
}
