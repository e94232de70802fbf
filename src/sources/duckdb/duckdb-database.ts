import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';

/** A DuckDB database file opened in this process, and connections on which it is the default catalog. */
export interface DuckDbDatabase {
  readonly instance: DuckDBInstance;
  /** A new connection, its default catalog the database file. */
  connect(): Promise<DuckDBConnection>;
  /**
   * Releases the file for the next process; a `:memory:` database is kept for reuse in this process (DuckDB's
   * instance cache keeps it).
   */
  close(): void;
}

/** Instances of files attached under another name, by path: like DuckDB's cache, one per file per process. */
const attached = new Map<string, Promise<DuckDBInstance>>();

/**
 * Opens `file` (or `:memory:`). DuckDB names a database file's catalog after the file (`cohort_sync.duckdb`
 * is `cohort_sync`), and a catalog named like a schema makes every `schema.table` of it ambiguous; given
 * `catalog`, the file is attached to an in-memory instance under that name instead, and every connection
 * starts in it, so that the file's schemas resolve as they would in a file of another name.
 */
export async function openDuckDb(
  file: string,
  settings: Record<string, string>,
  catalog?: string,
): Promise<DuckDbDatabase> {
  if (catalog === undefined || file === ':memory:') {
    const instance = await DuckDBInstance.fromCache(file, settings);
    return {
      instance,
      connect: () => instance.connect(),
      close: () => (file === ':memory:' ? undefined : instance.closeSync()),
    };
  }
  let opening = attached.get(file);
  if (opening === undefined) {
    opening = attach(file, catalog, settings);
    attached.set(file, opening);
    void opening.catch(() => attached.delete(file));
  }
  const instance = await opening;
  return {
    instance,
    async connect() {
      const connection = await instance.connect();
      await connection.run(`USE ${quoteIdentifier(catalog)}`);
      return connection;
    },
    close() {
      attached.delete(file);
      instance.closeSync();
    },
  };
}

async function attach(
  file: string,
  catalog: string,
  settings: Record<string, string>,
): Promise<DuckDBInstance> {
  // Spill files go next to the database, as DuckDB puts them for a file it opens itself.
  const instance = await DuckDBInstance.create(':memory:', { temp_directory: `${file}.tmp`, ...settings });
  const connection = await instance.connect();
  try {
    await connection.run(`ATTACH ${quoteLiteral(file)} AS ${quoteIdentifier(catalog)}`);
  } catch (error) {
    connection.closeSync();
    instance.closeSync();
    throw error;
  }
  connection.closeSync();
  return instance;
}

function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

function quoteLiteral(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}
