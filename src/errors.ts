/**
 * The error taxonomy. Every error the tool raises on purpose is one of these:
 * a stable machine `code`, a `retryable` class and context fields. Messages
 * never carry request bodies, secrets or member ids.
 */
export class CohortSyncError extends Error {
  readonly code: string;
  readonly retryable: boolean;

  constructor(message: string, options: { code: string; retryable?: boolean; cause?: unknown }) {
    super(message, { cause: options.cause });
    this.name = new.target.name;
    this.code = options.code;
    this.retryable = options.retryable ?? false;
  }
}

/** One problem in a config file: where it is and how to fix it. */
export interface ConfigIssue {
  /** Dotted path in the document, e.g. `syncs[1].cohort_name`; empty for the whole file. */
  path: string;
  message: string;
  /** `line:column` in the YAML file when known. */
  position?: string;
}

/** A config file that cannot be used. Carries every problem found, not just the first. */
export class ConfigError extends CohortSyncError {
  readonly file: string;
  readonly issues: readonly ConfigIssue[];

  constructor(file: string, issues: readonly ConfigIssue[]) {
    super(formatConfigIssues(file, issues), { code: 'CONFIG_INVALID' });
    this.file = file;
    this.issues = issues;
  }
}

function formatConfigIssues(file: string, issues: readonly ConfigIssue[]): string {
  const lines = issues.map((issue) => {
    const where = issue.position ? `${file}:${issue.position}` : file;
    return issue.path ? `  ${where} ${issue.path}: ${issue.message}` : `  ${where}: ${issue.message}`;
  });
  const noun = issues.length === 1 ? 'problem' : 'problems';
  return `invalid config (${issues.length} ${noun}):\n${lines.join('\n')}`;
}

/** Wrong command-line usage (exit 2). */
export class UsageError extends CohortSyncError {
  constructor(message: string) {
    super(message, { code: 'USAGE' });
  }
}

/** The warehouse refused or failed a statement. */
export class WarehouseError extends CohortSyncError {
  readonly sync: string | undefined;
  readonly queryFile: string | undefined;

  constructor(
    message: string,
    options: { code?: string; sync?: string; queryFile?: string; retryable?: boolean; cause?: unknown },
  ) {
    super(message, {
      code: options.code ?? 'WAREHOUSE_ERROR',
      retryable: options.retryable,
      cause: options.cause,
    });
    this.sync = options.sync;
    this.queryFile = options.queryFile;
  }
}

/** Another run of the same sync holds the lock. */
export class SyncLockedError extends CohortSyncError {
  readonly sync: string;
  readonly holderRunId: string;
  readonly since: Date;

  constructor(sync: string, holderRunId: string, since: Date, owner: string) {
    super(
      `sync "${sync}" is already running (run id ${holderRunId}, since ${since.toISOString()}, owner ${owner})`,
      {
        code: 'SYNC_LOCKED',
      },
    );
    this.sync = sync;
    this.holderRunId = holderRunId;
    this.since = since;
  }
}

/** A guardrail stopped a run before anything was sent (exit 3). */
export class GuardrailError extends CohortSyncError {
  readonly sync: string;

  constructor(sync: string, reason: string) {
    super(`sync "${sync}" aborted by a guardrail: ${reason}`, { code: 'GUARDRAIL' });
    this.sync = sync;
  }
}

/** How a Braze failure should be handled; stable across releases. */
export type BrazeErrorCode =
  | 'BRAZE_UNAUTHORIZED'
  | 'BRAZE_BAD_REQUEST'
  | 'BRAZE_RATE_LIMITED'
  | 'BRAZE_LOCKED'
  | 'BRAZE_SERVER_ERROR'
  | 'BRAZE_NETWORK'
  | 'BRAZE_TIMEOUT'
  | 'BRAZE_UNEXPECTED_STATUS';

/** A failed call to the Braze cohort API, after any retries. */
export class BrazeApiError extends CohortSyncError {
  declare readonly code: BrazeErrorCode;
  /** HTTP status, when Braze answered. */
  readonly status: number | undefined;
  /** The API path called (never the body: Braze puts keys in it). */
  readonly endpoint: string;
  /** Milliseconds Braze asked us to wait (Retry-After / X-RateLimit-Reset). */
  readonly retryAfterMs: number | undefined;
  /** Attempts after the first that the request spent before it failed for good; 0 until the retry policy gives up. */
  retries: number;

  constructor(
    message: string,
    options: {
      code: BrazeErrorCode;
      endpoint: string;
      status?: number;
      retryable: boolean;
      retryAfterMs?: number;
      retries?: number;
      cause?: unknown;
    },
  ) {
    super(message, options);
    this.status = options.status;
    this.endpoint = options.endpoint;
    this.retryAfterMs = options.retryAfterMs;
    this.retries = options.retries ?? 0;
  }

  /** Records the retries spent before this error ended the request, and returns the error to throw. */
  afterRetries(retries: number): this {
    this.retries = retries;
    return this;
  }
}

/** The retries a failed request spent before it gave up: 0 for anything but a {@link BrazeApiError}. */
export function retriesOf(error: unknown): number {
  return error instanceof BrazeApiError ? error.retries : 0;
}

/** Turns anything thrown into a one-line message safe to show a user. */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}

/** A saved plan cannot be applied as it is (`run --plan-id`): stale, unknown or not saved. Nothing was sent. */
export class PlanRefusedError extends CohortSyncError {
  readonly planId: string;

  constructor(planId: string, reason: string) {
    super(`plan ${planId} was not applied: ${reason}`, { code: 'PLAN_REFUSED' });
    this.planId = planId;
  }
}
