import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';

const GNU_TIME = '/usr/bin/time';

export interface ChildRun {
  exitCode: number;
  wallMs: number;
  /** Peak resident set size of the child, in bytes. */
  peakRssBytes: number;
  /** CPU time (user + system) of the child, in ms; NaN without GNU time. */
  cpuMs: number;
  stdout: string;
  /** stderr lines, each with the milliseconds since spawn at which it arrived. */
  stderr: { atMs: number; line: string }[];
}

/**
 * Runs a Node program as a child process and measures its wall time and peak
 * RSS: from GNU time's maximum resident set size when /usr/bin/time exists,
 * otherwise from VmHWM in /proc/PID/status polled every 10 ms.
 */
export async function runChild(args: string[], env: NodeJS.ProcessEnv): Promise<ChildRun> {
  const timeFile = path.join(tmpdir(), `bench-time-${process.pid}-${Date.now()}`);
  const useTime = existsSync(GNU_TIME);
  const [command, argv] = useTime
    ? [GNU_TIME, ['-f', '%M %U %S', '-o', timeFile, process.execPath, ...args]]
    : [process.execPath, args];
  const started = performance.now();
  const child = spawn(command, argv, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  child.stdout.setEncoding('utf8').on('data', (text: string) => (stdout += text));
  const stderr: ChildRun['stderr'] = [];
  createInterface({ input: child.stderr }).on('line', (line) =>
    stderr.push({ atMs: performance.now() - started, line }),
  );
  let polledPeak = 0;
  const poll = useTime
    ? undefined
    : setInterval(() => {
        readFile(`/proc/${child.pid}/status`, 'utf8')
          .then((status) => {
            const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
            polledPeak = Math.max(polledPeak, kb * 1024);
          })
          .catch(() => undefined);
      }, 10);
  const exitCode = await new Promise<number>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve(code ?? 1));
  });
  const wallMs = performance.now() - started;
  if (poll) clearInterval(poll);
  let peakRssBytes = polledPeak;
  let cpuMs = NaN;
  if (useTime) {
    // GNU time writes "Command exited with non-zero status N" before the format line on failure.
    const last = (await readFile(timeFile, 'utf8')).trim().split('\n').pop() ?? '';
    const [kb, user, system] = last.split(' ').map(Number);
    peakRssBytes = (kb ?? 0) * 1024;
    cpuMs = ((user ?? NaN) + (system ?? NaN)) * 1000;
    await rm(timeFile, { force: true });
  }
  return { exitCode, wallMs, peakRssBytes, cpuMs, stdout, stderr };
}
