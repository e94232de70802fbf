import { Option } from 'commander';
import { DEFAULT_CONFIG_FILE } from '../config/default-config-file.js';
import type { Config } from '../config/types.js';
import { UsageError } from '../errors.js';
import { Redactor, TextLogger, type Logger } from '../log/logger.js';
import { jsonText, terminalText } from '../log/terminal-text.js';

export interface Io {
  out: (text: string) => void;
  err: (text: string) => void;
}

/**
 * What every command needs: output that is redacted once a config (and so
 * its secrets) is known, a logger, and the exit code to return.
 */
export class CliContext {
  redactor = new Redactor([]);
  exitCode = 0;

  constructor(readonly io: Io) {}

  /** Loads the config and starts redacting its secrets from all output. */
  async load(file: string): Promise<Config> {
    // Imported here: the schema and its libraries are the bulk of start-up, and `--version` needs none of it.
    const { loadConfig } = await import('../config/load-config.js');
    const config = await loadConfig(file);
    this.redactor = new Redactor(config.secrets);
    return config;
  }

  /** Human text: secrets redacted, control characters shown escaped (see terminalText). */
  out(text: string): void {
    this.io.out(terminalText(this.redactor.redact(text)));
  }

  /**
   * A document as JSON, whose values were redacted while it was built (with {@link redact}): redacting
   * the serialized text instead breaks it (a password `null`, `true` or `2026`), and misses a secret
   * JSON escapes (one holding `"` or `\`).
   */
  outJson(document: unknown): void {
    this.io.out(`${jsonText(document)}\n`);
  }

  /** Human text formatted from a document whose values were redacted while it was built. */
  outFormatted(text: string): void {
    this.io.out(terminalText(text));
  }

  /** Redacts one value of a document being built for {@link outJson} or {@link outFormatted}. */
  readonly redact = (text: string): string => this.redactor.redact(text);

  logger(quiet = false): Logger {
    return new TextLogger(this.redactor, {}, (line) => this.io.err(line), quiet);
  }
}

export const configOption = () =>
  new Option('-c, --config <file>', 'config file').default(DEFAULT_CONFIG_FILE);

export const syncOption = () =>
  new Option('-s, --sync <name>', 'only this sync (repeatable)')
    .argParser((value: string, previous: string[]) => [...previous, value])
    .default([]);

/** Parses a non-negative whole number option. */
export function toCount(value: string): number {
  const number = Number(value);
  if (!Number.isInteger(number) || number < 0)
    throw new UsageError(`expected a whole number, got "${value}"`);
  return number;
}
