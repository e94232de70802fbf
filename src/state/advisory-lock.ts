import type { Source, SourceSession } from '../sources/source.js';
import { lockKey } from './lock-key.js';

/** A session-level advisory lock held on a connection of its own; it dies with that connection. */
export interface AdvisoryLock {
  /** Aborted when the session holding the lock is lost: the lock is gone with it. */
  readonly lost: AbortSignal;
  /** Unlocks and ends the session; never throws (a dead session has released the lock already). */
  release(): Promise<void>;
}

/**
 * Tries the advisory lock `name` without waiting: the lock, or `undefined` when another session holds it.
 * Requires a source whose locking is `advisory`.
 */
export async function tryAdvisoryLock(source: Source, name: string): Promise<AdvisoryLock | undefined> {
  const sql = source.capabilities.advisoryLock;
  if (!sql || !source.openSession) {
    throw new Error(`the ${source.type} source declares advisory locking but no advisory lock statements`);
  }
  const key = lockKey(name);
  const session: SourceSession = await source.openSession();
  try {
    const [row] = await session.execute<{ locked: boolean }>(sql.tryLock(key).compile(source.db));
    if (row?.locked !== true) {
      await session.close();
      return undefined;
    }
  } catch (error) {
    await session.close();
    throw error;
  }
  return {
    lost: session.lost,
    async release() {
      if (!session.lost.aborted)
        await session.execute(sql.unlock(key).compile(source.db)).catch(() => undefined);
      await session.close();
    },
  };
}
