import { sql } from 'kysely';
import { WarehouseError, errorMessage } from '../errors.js';
import type { Source } from '../sources/source.js';

/**
 * Whether the warehouse can be used right now, as /healthz reports it: a status word, never an error
 * text (anyone who reaches the port reads it; errors stay in the logs and sync_runs).
 */
export interface WarehouseHealth {
  ok: boolean;
  status: 'connected' | 'closed between runs' | 'not connected yet' | 'unreachable';
}

/**
 * A process's one warehouse connection, shared by every run and every read
 * of the state tables, opened at the first use. A command keeps it open
 * until it ends. A daemon (`releaseWhenIdle`) closes a warehouse that is
 * exclusive to one process (capability `locking: 'process'`: a DuckDB file)
 * when no run needs it, so that `cohort-sync status`, a DuckDB shell or
 * another daemon can use the file between runs; any other warehouse it keeps
 * open too.
 */
export class SharedWarehouse {
  private source: Source | undefined;
  private opening: Promise<Source> | undefined;
  private closing: Promise<void> = Promise.resolve();
  private closed = false;
  private users = 0;
  private keepOpen = true;
  private lastOpenError: string | undefined;
  /** Why the last open found the file held by another process (not ill health: the next tick tries again). */
  private heldElsewhere: string | undefined;

  /** `open` connects and brings the state schema up to date. */
  constructor(
    private readonly open: () => Promise<Source>,
    private readonly options: { releaseWhenIdle: boolean },
  ) {}

  /** Runs `work` with the warehouse open; several may run at once on one connection. */
  async use<T>(work: (source: Source) => Promise<T>): Promise<T> {
    if (this.closed) throw new Error('the warehouse connection is closed: the process is stopping');
    this.users++;
    try {
      const source = await this.connect();
      return await work(source);
    } finally {
      this.users--;
      await this.closeIfIdle();
    }
  }

  /** Whether the warehouse answers; when it is closed between runs, whether it last opened. */
  async health(timeoutMs = 5000): Promise<WarehouseHealth> {
    if (this.lastOpenError !== undefined) return { ok: false, status: 'unreachable' };
    const source = this.source;
    if (!source) {
      const idle = this.heldElsewhere !== undefined || !this.keepOpen;
      return { ok: true, status: idle ? 'closed between runs' : 'not connected yet' };
    }
    this.users++; // a run ending now must not close the connection under the ping
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        source.execute(sql`SELECT 1 AS ok`.compile(source.db)),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer in ${timeoutMs} ms`)), timeoutMs);
        }),
      ]);
      return { ok: true, status: 'connected' };
    } catch {
      return { ok: false, status: 'unreachable' };
    } finally {
      clearTimeout(timer);
      this.users--;
      await this.closeIfIdle();
    }
  }

  /** Closes the connection once every run using it is done. */
  async close(): Promise<void> {
    this.closed = true;
    this.keepOpen = false;
    await this.closeIfIdle();
    await this.closing;
  }

  private async connect(): Promise<Source> {
    if (this.source) return this.source;
    // A file closed a moment ago must be released before it is opened again.
    this.opening ??= this.closing.then(this.open).then(
      (source) => {
        this.source = source;
        this.keepOpen =
          !this.closed && !(this.options.releaseWhenIdle && source.capabilities.locking === 'process');
        this.lastOpenError = undefined;
        this.heldElsewhere = undefined;
        return source;
      },
      (error: unknown) => {
        if (isHeldElsewhere(error)) this.heldElsewhere = errorMessage(error);
        else this.lastOpenError = errorMessage(error);
        throw error;
      },
    );
    try {
      return await this.opening;
    } finally {
      this.opening = undefined;
    }
  }

  private async closeIfIdle(): Promise<void> {
    if (this.users > 0 || this.keepOpen || !this.source) return;
    const source = this.source;
    this.source = undefined;
    this.closing = source.close().catch(() => undefined); // nothing to do about a failed close; the next open says if the file is stuck
    await this.closing;
  }
}

/** Another process holds a warehouse that is exclusive to one process: not a failure, a tick to skip. */
export function isHeldElsewhere(error: unknown): boolean {
  return error instanceof WarehouseError && error.code === 'WAREHOUSE_LOCKED';
}
