import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface EmulatorProcess {
  url: string;
  /** Drops every cohort, so the emulator's memory does not grow from one audience size to the next. */
  reset(): Promise<void>;
  /** Sets the emulator's fault injection (e.g. latency on membership requests). */
  faults(settings: Record<string, unknown>): Promise<void>;
  stop(): Promise<void>;
}

/** The project's Braze emulator (`cohort-sync emulator --all-users-exist`) in a process of its own. */
export async function startEmulatorProcess(
  bin: string,
  partner: string,
  env: NodeJS.ProcessEnv,
): Promise<EmulatorProcess> {
  const child: ChildProcess = spawn(
    process.execPath,
    [bin, 'emulator', '--port', '0', '--partner', partner, '--all-users-exist'],
    { env, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const url = await new Promise<string>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the emulator exited with code ${code}`)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const match = /listening on (http:\/\/\S+)/.exec(line);
      if (match) resolve(match[1]!);
    });
  });
  return {
    url,
    async reset() {
      const response = await fetch(`${url}/_emulator/reset`, { method: 'POST' });
      if (!response.ok) throw new Error(`emulator reset failed: HTTP ${response.status}`);
    },
    async faults(settings) {
      const response = await fetch(`${url}/_emulator/faults`, {
        method: 'PUT',
        body: JSON.stringify(settings),
      });
      if (!response.ok) throw new Error(`emulator faults failed: HTTP ${response.status}`);
    },
    async stop() {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}
