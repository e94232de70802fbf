import { errorMessage } from '../../../src/errors.js';

/** An error as Snowflake reports it: its error code, SQLSTATE and message. */
export interface SnowflakeErrorShape {
  code: string;
  sqlState: string;
  message: string;
}

/** Errors the fake can be told to answer with, worded as Snowflake words them. */
export const SNOWFLAKE_ERRORS = {
  badLogin: {
    code: '390100',
    sqlState: '08004',
    message: 'Incorrect username or password was specified.',
  },
  noWarehouse: {
    code: '000606',
    sqlState: '57P03',
    message:
      "No active warehouse selected in the current session.  Select an active warehouse with the 'use warehouse' command.",
  },
  permission: (object: string): SnowflakeErrorShape => ({
    code: '003001',
    sqlState: '42501',
    message: `SQL access control error:\nInsufficient privileges to operate on ${object}`,
  }),
  statementCount: (actual: number, desired: number): SnowflakeErrorShape => ({
    code: '000008',
    sqlState: '0A000',
    message: `Actual statement count ${actual} did not match the desired statement count ${desired}.`,
  }),
  timeout: (seconds: number): SnowflakeErrorShape => ({
    code: '000630',
    sqlState: '57014',
    message: `Statement reached its statement or warehouse timeout of ${seconds} second(s) and was canceled.`,
  }),
} as const;

/** A DuckDB failure in Snowflake's shape, by DuckDB's error class (compilation errors, mostly). */
export function fromDuckDbError(error: unknown): SnowflakeErrorShape {
  const message = errorMessage(error);
  if (/^Parser Error/.test(message))
    return { code: '001003', sqlState: '42000', message: `SQL compilation error:\n${message}` };
  if (/^Catalog Error/.test(message))
    return { code: '002003', sqlState: '42S02', message: `SQL compilation error:\n${message}` };
  if (/^Binder Error/.test(message))
    return { code: '000904', sqlState: '42000', message: `SQL compilation error:\n${message}` };
  if (/^Conversion Error/.test(message)) return { code: '100038', sqlState: '22018', message };
  return { code: '100000', sqlState: '22000', message };
}
