import { spawn, type ChildProcess } from 'node:child_process';
import { atEnd } from './cleanup.js';
import { BIN } from './cli.js';
import { TEST_ENV } from './emulator.js';
import { captureForSecretScan } from './secret-scan.js';

/** One JSON log line of the daemon. */
export type LogLine = Record<string, unknown> & { level: string; msg: string; sync?: string; run?: string };

/** `cohort-sync daemon` as a child process, its JSON log lines collected as they come; its output joins the secret scan. */
export class DaemonProcess {
  readonly lines: LogLine[] = [];
  stdout = '';
  stderr = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
  private readonly child: ChildProcess;

  constructor(args: string[], env: NodeJS.ProcessEnv = {}) {
    this.child = spawn(process.execPath, [BIN, 'daemon', '--log-format', 'json', ...args], {
      env: { PATH: process.env.PATH, ...TEST_ENV, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let partial = '';
    this.child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      this.stdout += chunk;
      partial += chunk;
      const complete = partial.split('\n');
      partial = complete.pop() ?? '';
      for (const line of complete) if (line.trim()) this.lines.push(JSON.parse(line) as LogLine);
    });
    this.child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (this.stderr += chunk));
    this.exited = new Promise((resolve) =>
      this.child.once('close', (code, signal) => {
        captureForSecretScan(
          `output of cohort-sync daemon (pid ${this.child.pid})`,
          this.stdout + this.stderr,
        );
        resolve({ code, signal, at: Date.now() });
      }),
    );
    atEnd(() => {
      if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
    });
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** Lines whose message starts with `prefix`, optionally of one sync. */
  messages(prefix: string, sync?: string): LogLine[] {
    return this.lines.filter((l) => l.msg.startsWith(prefix) && (sync === undefined || l.sync === sync));
  }

  /** Waits until `check` returns a value (checked every 50 ms). */
  async waitFor<T>(
    check: () => T | undefined | false | Promise<T | undefined | false>,
    what: string,
    timeoutMs = 15_000,
  ): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await check();
      if (value !== undefined && value !== false) return value;
      if (Date.now() > deadline || this.child.exitCode !== null)
        throw new Error(`daemon: gave up waiting for ${what}; stderr: ${this.stderr}\nlog:\n${this.stdout}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** Sends a signal and waits for the exit; `ms` is the time from signal to exit. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<{ code: number | null; ms: number }> {
    const sent = Date.now();
    this.child.kill(signal);
    const exit = await this.exited;
    return { code: exit.code, ms: exit.at - sent };
  }
}
