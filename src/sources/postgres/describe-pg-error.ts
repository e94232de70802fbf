import { CohortSyncError, WarehouseError } from '../../errors.js';
import { FRACTION_MARK } from './postgres-capabilities.js';

/** SQLSTATEs that mean the session is gone (class 08, and the 57P0x shutdown/termination family). */
const LOST_SESSION = /^(08|57P0[1-3])/;
/** Errors of opening a connection: nothing was lost, the server was never reached. */
const UNREACHABLE = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);
const NETWORK_CODES = new Set(['ECONNRESET', 'ETIMEDOUT', 'EPIPE']);
const LOST_MESSAGES = /Connection terminated|not queryable|Connection ended/i;

export interface PgErrorContext {
  /** `host:port/database as user`. */
  server: string;
  statementTimeoutSeconds: number | undefined;
}

/**
 * Turns what pg throws into a {@link WarehouseError} with a code a caller can act on: the session was
 * lost or could not be opened (`WAREHOUSE_CONNECTION`, retryable), the statement timeout fired
 * (`WAREHOUSE_TIMEOUT`), login or permission refused, or any other SQL error with PostgreSQL's own
 * message and SQLSTATE. Our own errors pass through unchanged.
 */
export function describePgError(error: unknown, context: PgErrorContext): unknown {
  if (error instanceof CohortSyncError || !(error instanceof Error)) return error;
  const sqlState = (error as { code?: unknown }).code;
  const code = typeof sqlState === 'string' ? sqlState : '';
  const message = error.message || code;
  const warehouseError = (text: string, errorCode: string, retryable = false) =>
    new WarehouseError(text, { code: errorCode, retryable, cause: error });

  if (code === '57014' && /statement timeout/.test(message)) {
    const limit = context.statementTimeoutSeconds;
    return warehouseError(
      `PostgreSQL cancelled a statement that ran longer than ${limit ?? 'the server statement_timeout'}${limit === undefined ? '' : ' s'} ` +
        '(warehouse.statement_timeout_seconds); raise the limit or make the query cheaper',
      'WAREHOUSE_TIMEOUT',
    );
  }
  if (UNREACHABLE.has(code) || /timeout exceeded when trying to connect/.test(message)) {
    return warehouseError(
      `cannot connect to PostgreSQL at ${context.server}: ${message} (is the server running and reachable? see warehouse.url or host/port)`,
      'WAREHOUSE_CONNECTION',
      true,
    );
  }
  if (LOST_SESSION.test(code) || NETWORK_CODES.has(code) || LOST_MESSAGES.test(message)) {
    return warehouseError(
      `lost the connection to PostgreSQL at ${context.server}: ${message}`,
      'WAREHOUSE_CONNECTION',
      true,
    );
  }
  if (code === '28P01' || code === '28000') {
    return warehouseError(`PostgreSQL at ${context.server} refused the login: ${message}`, 'WAREHOUSE_AUTH');
  }
  if (code === '3D000') {
    return warehouseError(`PostgreSQL at ${context.server}: ${message}`, 'WAREHOUSE_CONNECTION');
  }
  if (code === '42601' && /multiple commands into a prepared statement/.test(message)) {
    // Only an audience query can hold a ';': every statement is sent as one of the extended protocol.
    return warehouseError(
      'the audience query must be one SELECT statement; PostgreSQL found several (a ";" ends a statement): ' +
        `${message} (SQLSTATE 42601)`,
      'QUERY_NOT_SELECT',
    );
  }
  const fraction = code === '22P02' ? new RegExp(`"${FRACTION_MARK}(.*)"$`, 's').exec(message) : null;
  if (fraction) {
    const column = fraction[1]!;
    return warehouseError(
      `identifier column ${column} has a value with a fraction (its type, numeric, fixes no scale); identifiers ` +
        `must be text, whole numbers or UUIDs: cast it in the query, CAST(${column} AS BIGINT) AS ${column} ` +
        `(which rounds), or if its text form really is the id, CAST(${column} AS TEXT) AS ${column}`,
      'QUERY_COLUMNS',
    );
  }
  if (code === '42501') return warehouseError(`${message} (SQLSTATE 42501)`, 'WAREHOUSE_PERMISSION');
  return warehouseError(code ? `${message} (SQLSTATE ${code})` : message, 'WAREHOUSE_ERROR');
}
