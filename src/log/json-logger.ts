import { pino, stdTimeFunctions, type Logger as Pino } from 'pino';
import type { LogFields, Logger, Redactor } from './logger.js';

/** Fields whose values the program makes (run ids): a secret cannot be in them, only look like part of one. */
const GENERATED = new Set(['run', 'run_id']);

/**
 * JSON lines for machines (journald, Kubernetes, a log shipper): one object
 * a line with `time`, `level`, `msg` and the fields of every enclosing
 * {@link Logger.child} — so every line of a run carries `sync` and `run`.
 * The message and every string field pass through the redactor before pino
 * sees them, and the line is written as pino serialized it: secrets are
 * redacted by construction, and redacting never breaks the JSON (a password
 * `null` or `2026` redacted from the serialized line would).
 */
export class JsonLogger implements Logger {
  private constructor(
    private readonly pino: Pino,
    private readonly redactor: Redactor,
  ) {}

  /** A logger writing one JSON object a line with `write` (stdout by default). */
  static create(
    redactor: Redactor,
    write: (line: string) => void = (line) => process.stdout.write(line),
  ): JsonLogger {
    const destination = { write };
    const logger = pino(
      {
        base: undefined,
        timestamp: stdTimeFunctions.isoTime,
        formatters: { level: (label) => ({ level: label }) },
      },
      destination,
    );
    return new JsonLogger(logger, redactor);
  }

  info(message: string, fields?: LogFields): void {
    this.pino.info(this.safe(fields), this.redactor.redact(message));
  }

  warn(message: string, fields?: LogFields): void {
    this.pino.warn(this.safe(fields), this.redactor.redact(message));
  }

  error(message: string, fields?: LogFields): void {
    this.pino.error(this.safe(fields), this.redactor.redact(message));
  }

  child(fields: LogFields): Logger {
    return new JsonLogger(this.pino.child(this.safe(fields)), this.redactor);
  }

  private safe(fields: LogFields = {}): LogFields {
    const out: LogFields = {};
    for (const [key, value] of Object.entries(fields)) {
      if (value === undefined) continue;
      out[key] = typeof value === 'string' && !GENERATED.has(key) ? this.redactor.redact(value) : value;
    }
    return out;
  }
}
