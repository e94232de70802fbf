import { terminalText } from './terminal-text.js';

/** Fields attached to a log line; every line of a run carries `sync` and `run_id`. */
export type LogFields = Record<string, string | number | boolean | null | undefined>;

export interface Logger {
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  /** A logger that adds `fields` to every line. */
  child(fields: LogFields): Logger;
}

/** Replaces every configured secret in text; secrets are redacted by construction, not by care at each call. */
export class Redactor {
  private readonly secrets: string[];

  constructor(secrets: readonly string[]) {
    // Longest first, so a secret containing another is replaced whole.
    this.secrets = [...new Set(secrets)]
      .filter((secret) => secret.length >= 4)
      .sort((a, b) => b.length - a.length);
  }

  redact(text: string): string {
    let safe = text;
    for (const secret of this.secrets)
      if (safe.includes(secret)) safe = safe.split(secret).join('[redacted]');
    return safe;
  }
}

type Level = 'info' | 'warn' | 'error';

/**
 * Human-readable lines on a stream (stderr by default), each passed through the redactor and made safe to
 * print on a terminal (see terminalText).
 */
export class TextLogger implements Logger {
  constructor(
    private readonly redactor: Redactor,
    private readonly fields: LogFields = {},
    private readonly write: (line: string) => void = (line) => process.stderr.write(line),
    private readonly quiet = false,
  ) {}

  info(message: string, fields?: LogFields): void {
    if (!this.quiet) this.emit('info', message, fields);
  }

  warn(message: string, fields?: LogFields): void {
    this.emit('warn', message, fields);
  }

  error(message: string, fields?: LogFields): void {
    this.emit('error', message, fields);
  }

  child(fields: LogFields): Logger {
    return new TextLogger(this.redactor, { ...this.fields, ...fields }, this.write, this.quiet);
  }

  private emit(level: Level, message: string, fields: LogFields = {}): void {
    const all = { ...this.fields, ...fields };
    const prefix = [all.sync !== undefined ? `[${all.sync}]` : '', level === 'info' ? '' : `${level}:`]
      .filter(Boolean)
      .join(' ');
    const rest = Object.entries(all)
      .filter(([key, value]) => key !== 'sync' && value !== undefined)
      .map(([key, value]) => `${key}=${String(value)}`)
      .join(' ');
    const line = this.redactor.redact(`${prefix ? `${prefix} ` : ''}${message}${rest ? ` (${rest})` : ''}`);
    this.write(`${terminalText(line)}\n`);
  }
}

/** Discards everything; for library callers and tests that assert on results, not logs. */
export const silentLogger: Logger = {
  info() {},
  warn() {},
  error() {},
  child() {
    return silentLogger;
  },
};
