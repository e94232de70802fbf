import { execFileSync } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { BIN } from './cli.js';

/** Runs a command in a detached tmux session (a real pseudo-terminal) and reads its screen. */
export class TmuxScreen {
  readonly session = `cohort-sync-test-${process.pid}-${Date.now()}`;

  /**
   * `joinWrapped`: read a line longer than the terminal as one line, as a log reader would.
   * `scrollback`: read the lines that scrolled off the top too, not only the visible screen.
   */
  constructor(private readonly options: { joinWrapped?: boolean; scrollback?: boolean } = {}) {}

  start(command: string): void {
    this.tmux(['new-session', '-d', '-s', this.session, '-x', '140', '-y', '40', command]);
  }

  /**
   * Runs the CLI with only `env` (and PATH, TERM) in its environment, then prints `EXIT=<code>`. Bounded,
   * so the session ends on its own even if the test process dies before it kills the session; in the
   * foreground, so Ctrl-C reaches it.
   */
  startCli(args: string[], env: NodeJS.ProcessEnv, limitSeconds = 240): void {
    const vars = Object.entries({ ...env, TERM: 'xterm-256color' })
      .map(([name, value]) => `${name}=${shellQuote(value ?? '')}`)
      .join(' ');
    this.start(
      `env -i PATH=${shellQuote(process.env.PATH ?? '')} ${vars} timeout --foreground ${limitSeconds} ${shellQuote(process.execPath)} ${shellQuote(BIN)} ${args.map(shellQuote).join(' ')}; echo EXIT=$?; sleep 60`,
    );
  }

  /** Types keys into the terminal (`C-c` is Ctrl-C). */
  sendKeys(...keys: string[]): void {
    this.tmux(['send-keys', '-t', this.session, ...keys]);
  }

  capture(): string {
    const join = this.options.joinWrapped ? ['-J'] : [];
    const scrollback = this.options.scrollback ? ['-S', '-'] : [];
    return this.tmux(['capture-pane', '-p', ...join, ...scrollback, '-t', this.session], {
      encoding: 'utf8',
    });
  }

  async waitFor(pattern: RegExp, timeoutMs = 60_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const screen = this.capture();
      if (pattern.test(screen)) return screen;
      if (Date.now() > deadline) throw new Error(`screen never matched ${String(pattern)}:\n${screen}`);
      await sleep(50);
    }
  }

  /**
   * Runs tmux on a server of this screen's own (`-L`): test files run in parallel, and a session started
   * on a shared server just as another test killed that server's last session died with the server.
   */
  private tmux(args: string[], options: Parameters<typeof execFileSync>[2] = {}): string {
    return String(execFileSync('tmux', ['-L', this.session, ...args], options));
  }

  kill(): void {
    try {
      this.tmux(['kill-session', '-t', this.session], { stdio: 'ignore' });
    } catch {
      // already gone
    }
  }
}

const shellQuote = (text: string) => `'${text.replace(/'/g, `'\\''`)}'`;
