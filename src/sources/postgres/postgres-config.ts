import { z } from 'zod';
import type { ConfigIssue } from '../../errors.js';
import type { SecretKey, WarehouseConfigModule } from '../warehouse-config-module.js';

/** The `warehouse:` mapping of `type: postgres`, declared with its descriptions (user documentation). */
export const postgresWarehouseSchema = z.strictObject({
  type: z
    .literal('postgres')
    .describe('PostgreSQL (or a compatible server): audience queries and state tables in one database.'),
  url: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL')
    .optional()
    .describe(
      'Connection URL such as postgres://user@host:5432/db?sslmode=require, usually ${DATABASE_URL}; ' +
        'a URL with a password must be an environment reference. Or give host, port, database, user, password.',
    ),
  host: z.string().min(1).optional().describe('Server host name or address (instead of url).'),
  port: z.number().int().min(1).max(65535).optional().describe('Server port; default 5432.'),
  database: z.string().min(1).optional().describe('Database name (instead of url).'),
  user: z.string().min(1).optional().describe('Role to log in as (instead of url).'),
  password: z
    .string()
    .optional()
    .describe('Password, as an environment reference like ${PGPASSWORD}; omit for trust or peer auth.'),
  ssl: z
    .union([z.boolean(), z.enum(['require', 'verify-full'])])
    .optional()
    .describe(
      'TLS: `verify-full` (or true) encrypts and verifies the server certificate, `require` encrypts without ' +
        'verifying it, false (the default) does not encrypt. With url, use its sslmode instead.',
    ),
  statement_timeout_seconds: z
    .number()
    .positive()
    .optional()
    .describe('Cancel any statement that runs longer than this; default: the server setting.'),
  connect_timeout_seconds: z
    .number()
    .positive()
    .default(30)
    .describe('Give up connecting to the server after this long.'),
  application_name: z
    .string()
    .min(1)
    .max(63)
    .default('cohort-sync')
    .describe("Shown in pg_stat_activity.application_name for cohort-sync's connections."),
});

export type PostgresWarehouseConfig = z.output<typeof postgresWarehouseSchema>;

/**
 * The passwords a connection URL carries, decoded: in its user info and in a `password` parameter. Read as
 * pg-connection-string reads a URL, but without its parse, which also reads the files `sslrootcert` and its
 * kin name (and throws when they are missing): whether a URL holds a secret must not depend on this machine.
 */
export function urlPasswords(url: string | undefined): string[] {
  const parsed = url === undefined ? undefined : parseUrl(url);
  if (parsed === undefined) return [];
  const passwords = [safeDecode(parsed.password), parsed.searchParams.get('password') ?? ''];
  return passwords.filter((password) => password !== '');
}

/** The URL as pg-connection-string reads it: spaces and stray `%` encoded first, a missing host allowed. */
function parseUrl(url: string): URL | undefined {
  const text = / |%[^a-f0-9]|%[a-f0-9][^a-f0-9]/i.test(url)
    ? encodeURI(url).replace(/%25(\d\d)/g, '%$1')
    : url;
  for (const candidate of [text, text.replace('@/', '@___DUMMY___/')]) {
    try {
      return new URL(candidate, 'postgres://base');
    } catch {
      // pg-connection-string tries the same two spellings
    }
  }
  return undefined;
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** Why pg would refuse the URL or misread it; never with the URL in the message (it may hold a password). */
function urlProblem(url: string): string | undefined {
  const encode =
    'percent-encode reserved characters in the user name and password (# as %23, @ as %40, / as %2F, ? as %3F, : as %3A)';
  if (parseUrl(url) === undefined) return `is not a valid URL; ${encode}`;
  // A fragment is never part of a connection URL: what follows the # (the password's rest, the host) is dropped.
  if (url.includes('#')) return `has a #, where the URL would end; ${encode}`;
  return undefined;
}

const connectionIsNamedOnce = (warehouse: PostgresWarehouseConfig): ConfigIssue[] => {
  const discrete = (['host', 'port', 'database', 'user', 'password', 'ssl'] as const).filter(
    (key) => warehouse[key] !== undefined,
  );
  if (warehouse.url !== undefined) {
    const problem = urlProblem(warehouse.url);
    return [
      ...(problem === undefined ? [] : [{ path: 'warehouse.url', message: problem }]),
      ...discrete.map((key) => ({
        path: `warehouse.${key}`,
        message:
          key === 'ssl'
            ? 'give TLS settings in the url (?sslmode=require or verify-full), not both'
            : 'give either url or host/port/database/user/password, not both',
      })),
    ];
  }
  const missing = (['host', 'database', 'user'] as const).filter((key) => warehouse[key] === undefined);
  if (missing.length === 3) {
    return [
      {
        path: 'warehouse',
        message:
          'needs url (e.g. url: ${DATABASE_URL}) or host, database and user (and port, password, ssl as needed)',
      },
    ];
  }
  return missing.map((key) => ({ path: `warehouse.${key}`, message: `is required when url is not given` }));
};

/**
 * Why a schema cannot hold the state tables on PostgreSQL. Exact names: cohort-sync quotes its identifiers,
 * so `PG_TEMP` is an ordinary schema while `pg_temp` is the session's temporary one.
 */
function reservedSchema(name: string): string | undefined {
  if (name.startsWith('pg_temp') || name.startsWith('pg_toast_temp'))
    return "is PostgreSQL's per-session temporary schema: the state tables would vanish with each connection";
  if (name.startsWith('pg_')) return 'starts with pg_, which PostgreSQL reserves for system schemas';
  if (name === 'information_schema') return "is PostgreSQL's system catalog schema";
  return undefined;
}

/** PostgreSQL's part of the config: the server and how to log in. */
export const postgresConfig = {
  secretKeys(warehouse) {
    const keys: SecretKey[] = [];
    if (warehouse.password !== undefined) keys.push({ key: 'password', example: 'PGPASSWORD' });
    if (urlPasswords(warehouse.url).length > 0) keys.push({ key: 'url', example: 'DATABASE_URL' });
    return keys;
  },
  // A password also turns up alone, as written in the URL (encoded) or decoded, in what a driver says.
  redactions: (warehouse) =>
    urlPasswords(warehouse.url).flatMap((password) => [password, encodeURIComponent(password)]),
  rules: (warehouse) => connectionIsNamedOnce(warehouse),
  reservedSchema,
} satisfies WarehouseConfigModule<PostgresWarehouseConfig>;
