import { hostname } from 'node:os';
import { sql } from 'kysely';
import { SyncLockedError, WarehouseError, errorMessage } from '../errors.js';
import type { Source } from '../sources/source.js';
import { tryAdvisoryLock, type AdvisoryLock } from './advisory-lock.js';
import { stateTables, type StateKysely, type SyncLockRow } from './state-database.js';
import { timestampValue } from './timestamp-value.js';

/** A held lock on one sync; release it when the run ends. */
export interface SyncLock {
  /** Aborted if the lock is lost while held (`advisory`: its session died); the run must stop sending. */
  readonly lost?: AbortSignal;
  release(): Promise<void>;
}

/** How long a run that found an advisory lock taken waits for the holder's sync_locks row to appear. */
const HOLDER_ROW_WAIT_MS = 1000;

/** Lease length and heartbeat for `lease` locking (invariant 3: no lock outlives its holder for long). */
export const LEASE_MS = 60_000;
export const HEARTBEAT_MS = 20_000;

const OWNER = `${hostname()}:${process.pid}`;
/** Syncs locked by this process, keyed by `schema.sync`. */
const heldHere = new Map<string, string>();

/**
 * Takes the one-run-per-sync lock. The lock row in sync_locks says who holds
 * it; whether a row still counts depends on the warehouse's locking
 * capability: with `process` (DuckDB: the file is exclusive to one process)
 * only this process's holders count; with `advisory` (PostgreSQL) the
 * session-level advisory lock decides and the row only says who holds it;
 * with `lease`, a row counts until its lease expires or, on this host, until
 * its process is gone.
 */
export async function acquireSyncLock(
  source: Source,
  schema: string,
  syncName: string,
  runId: string,
): Promise<SyncLock> {
  const key = `${schema}.${syncName}`;
  const db = stateTables(source.db, schema);
  const local = heldHere.get(key);
  if (local !== undefined) {
    const holder = await currentHolder(source, db, syncName);
    throw new SyncLockedError(syncName, local, holder?.acquired_at ?? new Date(), OWNER);
  }
  // With an advisory lock, this process counts a run as holding the sync only once the lock is taken, so
  // that a tick meanwhile is never told "already running" about a run that is itself about to be skipped.
  const advisoryLocking = source.capabilities.locking === 'advisory';
  if (!advisoryLocking) heldHere.set(key, runId);
  let advisory: AdvisoryLock | undefined;
  try {
    if (advisoryLocking) {
      advisory = await tryAdvisoryLock(source, `sync:${key}`);
      if (!advisory) throw await lockedBy(source, db, syncName);
      heldHere.set(key, runId);
    }
    await source.transaction(async (tx) => {
      const holder = await currentHolder(tx, db, syncName);
      if (holder && holderIsAlive(holder, source.capabilities.locking)) {
        throw new SyncLockedError(syncName, holder.run_id, new Date(holder.acquired_at), holder.owner);
      }
      // Only the row judged dead: a row another process wrote meanwhile is not ours to remove. Issued even
      // when there is none (our own run id matches nothing yet): as a DELETE on sync_locks it serialises
      // two runs taking the lock at once (BigQuery cancels one of two such transactions, Snowflake makes one
      // wait for the other's table lock).
      await tx.execute(
        db
          .deleteFrom('sync_locks')
          .where('sync_name', '=', syncName)
          .where('run_id', '=', holder?.run_id ?? runId)
          .compile(),
      );
      await tx.execute(
        db
          .insertInto('sync_locks')
          .values({
            sync_name: syncName,
            owner: OWNER,
            run_id: runId,
            acquired_at: sql<Date>`CURRENT_TIMESTAMP`,
            lease_until: leaseUntil(source),
          })
          .compile(),
      );
    });
    if (source.capabilities.locking === 'lease') await wonLease(source, db, syncName, runId);
  } catch (error) {
    forgetHere(key, runId);
    await advisory?.release();
    throw error;
  }

  const leaseLost = new AbortController();
  let renewedAt = Date.now();
  const heartbeat =
    source.capabilities.locking !== 'process' // with `advisory` the lease only keeps the row truthful
      ? setInterval(() => {
          const sentAt = Date.now(); // the new lease runs from when it was written, not from the answer
          renewLease(source, db, runId).then(
            (held) => {
              if (held) renewedAt = Math.max(renewedAt, sentAt);
              else if (source.capabilities.locking === 'lease')
                leaseLost.abort(leaseLostError(`another run took over the lease of sync "${syncName}"`));
            },
            (error: unknown) => {
              // A missed beat only shortens the lease; but a lease that may run out before the next beat can
              // be taken by another run, so a run holding only a lease must stop sending (invariant 3).
              if (
                source.capabilities.locking === 'lease' &&
                Date.now() + HEARTBEAT_MS - renewedAt >= LEASE_MS
              )
                leaseLost.abort(
                  leaseLostError(
                    `could not renew the lease of sync "${syncName}": ${errorMessage(error)}`,
                    error,
                  ),
                );
            },
          );
        }, HEARTBEAT_MS).unref()
      : undefined;

  return {
    lost: advisory?.lost ?? (source.capabilities.locking === 'lease' ? leaseLost.signal : undefined),
    async release() {
      clearInterval(heartbeat);
      forgetHere(key, runId);
      try {
        await source.execute(
          db.deleteFrom('sync_locks').where('sync_name', '=', syncName).where('run_id', '=', runId).compile(),
        );
      } finally {
        await advisory?.release();
      }
    },
  };
}

/**
 * Lease locking has no lock manager to arbitrate between two runs that both found the lock free: each
 * reads the rows back after its own committed, and a run that finds another's row beside its own backs off
 * (removing its row). A row is only ever removed by its run or by a run that judged exactly that row dead,
 * so two runs can never both see only their own row: at worst both back off, and the next run proceeds.
 */
async function wonLease(source: Source, db: StateKysely, syncName: string, runId: string): Promise<void> {
  const rows = await source.execute<SyncLockRow & Record<string, unknown>>(
    db.selectFrom('sync_locks').selectAll().where('sync_name', '=', syncName).compile(),
  );
  const other = rows.find((row) => row.run_id !== runId);
  if (!other) return;
  await source.execute(
    db.deleteFrom('sync_locks').where('sync_name', '=', syncName).where('run_id', '=', runId).compile(),
  );
  throw new SyncLockedError(syncName, other.run_id, new Date(other.acquired_at), other.owner);
}

/** Extends this run's lease; false when its row is gone (another run judged it dead and took over). */
async function renewLease(source: Source, db: StateKysely, runId: string): Promise<boolean> {
  await source.execute(
    db
      .updateTable('sync_locks')
      .set({ lease_until: leaseUntil(source) })
      .where('run_id', '=', runId)
      .compile(),
  );
  const rows = await source.execute(
    db.selectFrom('sync_locks').select('run_id').where('run_id', '=', runId).compile(),
  );
  return rows.length > 0;
}

/** Forgets this process's hold on a sync, if it is this run's: a run that lost the race must not clear the winner's. */
function forgetHere(key: string, runId: string): void {
  if (heldHere.get(key) === runId) heldHere.delete(key);
}

function leaseLostError(message: string, cause?: unknown): WarehouseError {
  return new WarehouseError(message, { code: 'LOCK_LOST', retryable: true, cause });
}

/** The error for an advisory lock held elsewhere, naming the holder from its sync_locks row (written just after it locked). */
async function lockedBy(source: Source, db: StateKysely, syncName: string): Promise<SyncLockedError> {
  const deadline = Date.now() + HOLDER_ROW_WAIT_MS;
  for (;;) {
    const holder = await currentHolder(source, db, syncName);
    if (holder)
      return new SyncLockedError(syncName, holder.run_id, new Date(holder.acquired_at), holder.owner);
    if (Date.now() > deadline) return new SyncLockedError(syncName, 'unknown', new Date(), 'another session');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function currentHolder(
  runner: Pick<Source, 'execute'>,
  db: StateKysely,
  syncName: string,
): Promise<SyncLockRow | undefined> {
  const rows = await runner.execute<SyncLockRow & Record<string, unknown>>(
    db.selectFrom('sync_locks').selectAll().where('sync_name', '=', syncName).compile(),
  );
  return rows[0];
}

function holderIsAlive(holder: SyncLockRow, locking: Source['capabilities']['locking']): boolean {
  if (locking === 'process') return false; // only this process can have the database open, and heldHere was checked
  if (locking === 'advisory') return false; // we hold the advisory lock: a row left over is from a session that died
  if (new Date(holder.lease_until).getTime() < Date.now()) return false;
  const [host, pid] = holder.owner.split(':');
  if (host === hostname() && pid !== undefined) return processExists(Number(pid));
  return true;
}

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function leaseUntil(source: Source) {
  return timestampValue(source.capabilities, new Date(Date.now() + LEASE_MS));
}
