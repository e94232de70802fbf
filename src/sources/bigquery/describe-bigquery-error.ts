import { CohortSyncError, WarehouseError } from '../../errors.js';

/** Network failures: BigQuery was not reached, or the connection broke. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
]);
const RATE_REASONS = new Set(['quotaExceeded', 'rateLimitExceeded', 'jobRateLimitExceeded']);
const SERVER_REASONS = new Set(['backendError', 'internalError']);
/** What BigQuery says when two transactions or DML statements change one table at once. */
const CONCURRENT_UPDATE = /concurrent update|could not serialize access/i;

export interface BigQueryErrorContext {
  /** `project my-project in US`, for messages. */
  target: string;
  /** The API root, for connection messages. */
  endpoint: string;
}

interface ApiErrorShape {
  code?: unknown;
  errors?: { reason?: string; message?: string }[];
  message: string;
}

/**
 * Turns what the BigQuery SDK throws (its ApiError with an HTTP status and `errors[].reason`, a network
 * error, or google-auth-library's credential errors) into a {@link WarehouseError} with a code a caller can
 * act on and a message that says what to check. Our own errors pass through unchanged.
 */
export function describeBigQueryError(error: unknown, context: BigQueryErrorContext): unknown {
  if (error instanceof CohortSyncError || !(error instanceof Error)) return error;
  const apiError = error as Error & ApiErrorShape;
  const status = typeof apiError.code === 'number' ? apiError.code : undefined;
  const reason = apiError.errors?.[0]?.reason ?? '';
  const message = apiError.message;
  const fail = (text: string, code: string, retryable = false) =>
    new WarehouseError(text, { code, retryable, cause: error });

  if (typeof apiError.code === 'string' && NETWORK_CODES.has(apiError.code))
    return fail(
      `cannot reach BigQuery at ${context.endpoint}: ${message} (network, proxy or warehouse.api_endpoint)`,
      'WAREHOUSE_CONNECTION',
      true,
    );
  if (/default credentials|invalid_grant|private key|client_email|could not refresh/i.test(message))
    return fail(
      `cannot authenticate to BigQuery: ${message} (set warehouse.key_file, or configure Application Default Credentials)`,
      'WAREHOUSE_AUTH',
    );
  if (status === 401 || reason === 'authError')
    return fail(
      `BigQuery refused the credentials for ${context.target}: ${message} (check warehouse.key_file or Application Default Credentials)`,
      'WAREHOUSE_AUTH',
    );
  if (reason === 'bytesBilledLimitExceeded')
    return fail(
      `${message} (warehouse.maximum_bytes_billed); raise the limit or make the query read less`,
      'WAREHOUSE_COST_LIMIT',
    );
  if (status === 429 || RATE_REASONS.has(reason))
    return fail(`BigQuery quota or rate limit for ${context.target}: ${message}`, 'WAREHOUSE_QUOTA', true);
  if (reason === 'accessDenied' || status === 403)
    return fail(
      `BigQuery denied access in ${context.target}: ${message} (see docs/warehouses.md for the roles cohort-sync needs)`,
      'WAREHOUSE_PERMISSION',
    );
  if (reason === 'timeout' || /timed out|did not complete before/i.test(message))
    return fail(
      `a BigQuery job ran out of time: ${message} (warehouse.job_timeout_seconds)`,
      'WAREHOUSE_TIMEOUT',
    );
  if (CONCURRENT_UPDATE.test(message)) return fail(message, 'WAREHOUSE_CONFLICT', true);
  if ((status !== undefined && status >= 500) || SERVER_REASONS.has(reason))
    return fail(`BigQuery failed on its side: ${message}`, 'WAREHOUSE_ERROR', true);
  const detail = reason ? ` (${reason})` : '';
  return fail(`${message}${detail}`, 'WAREHOUSE_ERROR');
}
