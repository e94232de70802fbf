import { realpathSync, statSync, type Stats } from 'node:fs';
import path from 'node:path';

/** Kernel file systems whose "files" are no database: DuckDB spins on some of them forever (/proc/self/mem). */
const VIRTUAL_ROOTS = ['/proc', '/sys'];

/**
 * Why a DuckDB database file cannot be at `file`, or undefined when it can: it must be a regular file, or
 * not exist yet under folders that are folders. Checked before DuckDB opens the path, at `validate` and at
 * open. Permissions are left to the open, whose error names the path: the user who validates a config is
 * not always the one who runs it. Synchronous: a few metadata calls, cheaper than a trip each through the
 * thread pool while the CLI starts. Throws what the file system throws (EACCES on a folder on the way).
 */
export function duckdbPathProblem(file: string): string | undefined {
  if (file === ':memory:') return undefined;
  const existing = nearestExisting(path.resolve(file));
  const real = path.join(realpathSync(existing.path), path.relative(existing.path, path.resolve(file)));
  const root = VIRTUAL_ROOTS.find((prefix) => real === prefix || real.startsWith(`${prefix}/`));
  if (root !== undefined) return `is under ${root}, a kernel file system, not a place for a database file`;
  if (existing.path === path.resolve(file)) {
    if (existing.stats.isFile()) return undefined;
    return existing.stats.isDirectory()
      ? 'is a folder; give the path of a database file in it, e.g. warehouse.duckdb'
      : 'is not a regular file (a device, socket or pipe); give the path of a database file';
  }
  return existing.stats.isDirectory()
    ? undefined
    : `cannot be created: ${existing.path} is a file, not a folder`;
}

interface Existing {
  path: string;
  stats: Stats;
}

/** The path itself when it exists, else its nearest ancestor that does. */
function nearestExisting(file: string): Existing {
  for (let current = file; ; current = path.dirname(current)) {
    try {
      return { path: current, stats: statSync(current) };
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      // ENOTDIR: a file stands where a folder should be; its ancestors say which.
      if ((code !== 'ENOENT' && code !== 'ENOTDIR') || current === path.dirname(current)) throw error;
    }
  }
}
