import type { PoolConfig } from 'pg';
import { parse as parseConnectionString } from 'pg-connection-string';
import type { PostgresWarehouseConfig } from './postgres-config.js';
import { pgTypes } from './type-parsers.js';

export type { PostgresWarehouseConfig };

/** Connections in the pool: a stream, a checkpoint write and the lock session run at once, with room to spare. */
const POOL_SIZE = 5;

/** The pg Pool settings for a `postgres` warehouse: the URL or the discrete keys, timeouts, our type parsers. */
export function poolConfig(config: PostgresWarehouseConfig): PoolConfig {
  const connection: PoolConfig =
    config.url !== undefined
      ? { connectionString: config.url }
      : {
          host: config.host,
          port: config.port ?? 5432,
          database: config.database,
          user: config.user,
          password: config.password,
          ssl: sslOption(config.ssl),
        };
  return {
    ...connection,
    max: POOL_SIZE,
    application_name: config.application_name,
    connectionTimeoutMillis: Math.round(config.connect_timeout_seconds * 1000),
    statement_timeout:
      config.statement_timeout_seconds === undefined
        ? undefined
        : Math.max(1, Math.round(config.statement_timeout_seconds * 1000)),
    // A daemon between runs keeps no connection open for long.
    idleTimeoutMillis: 30_000,
    types: pgTypes,
  };
}

function sslOption(ssl: PostgresWarehouseConfig['ssl']): PoolConfig['ssl'] {
  if (ssl === undefined || ssl === false) return false;
  return ssl === 'require' ? { rejectUnauthorized: false } : true;
}

/** `host:port/database as user`, for messages: never the password. */
export function describeServer(config: PostgresWarehouseConfig): string {
  const parts =
    config.url !== undefined
      ? safeParse(config.url)
      : {
          host: config.host,
          port: String(config.port ?? 5432),
          database: config.database,
          user: config.user,
        };
  return `${parts.host ?? 'localhost'}:${parts.port ?? '5432'}/${parts.database ?? ''} as ${parts.user ?? 'the default user'}`;
}

function safeParse(url: string): {
  host?: string | null;
  port?: string | null;
  database?: string | null;
  user?: string;
} {
  try {
    return parseConnectionString(url);
  } catch {
    return { host: 'the configured url' };
  }
}
