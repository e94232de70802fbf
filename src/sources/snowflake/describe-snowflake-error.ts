import { CohortSyncError, WarehouseError } from '../../errors.js';

/** What an error message says about where cohort-sync was connecting. */
export interface SnowflakeErrorContext {
  /** `account as user` (and the access URL when one is configured). */
  server: string;
  warehouse: string;
  statementTimeoutSeconds: number | undefined;
}

/** snowflake-sdk's own codes for failures to reach Snowflake (ERR_SF_NETWORK_…, ERR_LARGE_RESULT_SET_…). */
const NETWORK_CODES = new Set(['401001', '401002', '401003', '402001', '402002']);
/** Statement timeout (STATEMENT_TIMEOUT_IN_SECONDS) and cancellation of a queued statement. */
const TIMEOUT_CODES = new Set(['000630', '000617']);
/** "No active warehouse selected in the current session", and a warehouse that cannot resume. */
const NO_WAREHOUSE_CODES = new Set(['000606', '000625']);

/**
 * Turns what snowflake-sdk throws into a {@link WarehouseError} with a code a caller can act on:
 * Snowflake unreachable (`WAREHOUSE_CONNECTION`, retryable), login refused (`WAREHOUSE_AUTH`), the
 * statement timeout fired (`WAREHOUSE_TIMEOUT`), no usable warehouse (`WAREHOUSE_SUSPENDED`), a missing
 * privilege (`WAREHOUSE_PERMISSION`), or any other SQL error with Snowflake's message, error code and
 * SQLSTATE. Our own errors pass through unchanged.
 */
export function describeSnowflakeError(error: unknown, context: SnowflakeErrorContext): unknown {
  if (error instanceof CohortSyncError || !(error instanceof Error)) return error;
  const code = asText((error as { code?: unknown }).code);
  const sqlState = asText((error as { sqlState?: unknown }).sqlState);
  const message = error.message || code;
  const fail = (text: string, errorCode: string, retryable = false) =>
    new WarehouseError(text, { code: errorCode, retryable, cause: error });

  if (code === 'LOGIN_TIMEOUT')
    return fail(
      `cannot reach Snowflake (${context.server}): ${message} (warehouse.connect_timeout_seconds); check warehouse.account, or access_url, and the network`,
      'WAREHOUSE_CONNECTION',
      true,
    );
  if (NETWORK_CODES.has(code))
    return fail(
      `cannot reach Snowflake (${context.server}): ${message} (check warehouse.account, or access_url, and the network)`,
      'WAREHOUSE_CONNECTION',
      true,
    );
  if (/^39\d{4}$/.test(code) || sqlState === '28000' || sqlState === '08001')
    return fail(
      `Snowflake refused the login of ${context.server}: ${message} (Snowflake error ${code}; check warehouse.username, password or private_key_path, and role)`,
      'WAREHOUSE_AUTH',
    );
  if (TIMEOUT_CODES.has(code) || sqlState === '57014') {
    const limit = context.statementTimeoutSeconds;
    return fail(
      `Snowflake cancelled a statement that ran longer than ${limit === undefined ? 'the STATEMENT_TIMEOUT_IN_SECONDS of the account, user or warehouse' : `${limit} s (warehouse.statement_timeout_seconds)`}: ${message}; raise the limit, use a larger warehouse or make the query cheaper`,
      'WAREHOUSE_TIMEOUT',
    );
  }
  if (NO_WAREHOUSE_CODES.has(code))
    return fail(
      `Snowflake has no running warehouse for cohort-sync: ${message} (Snowflake error ${code}). ` +
        `Check that warehouse ${context.warehouse} exists, that the role has USAGE on it, and that it can resume (AUTO_RESUME, resource monitor quota)`,
      'WAREHOUSE_SUSPENDED',
      true,
    );
  // MULTI_STATEMENT_COUNT = 1 is set on every statement: only an audience query can hold a ';'.
  if (code === '000008')
    return fail(
      `the audience query must be one SELECT statement; Snowflake found several (a ";" ends a statement): ${message} (Snowflake error 000008)`,
      'QUERY_NOT_SELECT',
    );
  if (sqlState === '42501' || code === '003001')
    return fail(
      `${message} (Snowflake error ${code}, SQLSTATE ${sqlState || '42501'}); grant the role the privilege (see docs/warehouses.md)`,
      'WAREHOUSE_PERMISSION',
    );
  const detail = [code && `Snowflake error ${code}`, sqlState && `SQLSTATE ${sqlState}`].filter(Boolean);
  return fail(detail.length > 0 ? `${message} (${detail.join(', ')})` : message, 'WAREHOUSE_ERROR');
}

/** The SDK gives its own codes as numbers and Snowflake's as text. */
function asText(value: unknown): string {
  return typeof value === 'string' || typeof value === 'number' ? String(value) : '';
}
