import type { SnowflakeSession } from './snowflake-session.js';

/**
 * Snowflake sessions, opened as needed up to `max` and kept for reuse. A transaction holds its session
 * from BEGIN to COMMIT, since Snowflake ties a transaction to its session; every other statement borrows
 * one only while it is submitted.
 */
export class SessionPool {
  private readonly idle: SnowflakeSession[] = [];
  private readonly waiting: ((session: SnowflakeSession | undefined) => void)[] = [];
  private opened = 0;
  private closed = false;

  constructor(
    private readonly open: () => Promise<SnowflakeSession>,
    private readonly max: number,
  ) {}

  /** A session to use alone until {@link release}; waits when `max` are in use. */
  async acquire(): Promise<SnowflakeSession> {
    if (this.closed) throw new Error('the Snowflake source is closed');
    const idle = this.idle.pop();
    if (idle) return idle;
    if (this.opened < this.max) {
      this.opened++;
      try {
        return await this.open();
      } catch (error) {
        this.opened--;
        this.handOn(undefined);
        throw error;
      }
    }
    const session = await new Promise<SnowflakeSession | undefined>((resolve) => this.waiting.push(resolve));
    return session ?? this.acquire();
  }

  /** Gives a session back; a `broken` one (its connection failed) is ended instead of reused. */
  release(session: SnowflakeSession, broken = false): void {
    if (broken || this.closed || !session.up) {
      this.opened--;
      void session.close();
      this.handOn(undefined);
      return;
    }
    const next = this.waiting.shift();
    if (next) next(session);
    else this.idle.push(session);
  }

  /** Ends every idle session; sessions in use end when released. */
  async close(): Promise<void> {
    this.closed = true;
    const idle = this.idle.splice(0);
    this.opened -= idle.length;
    for (const resolve of this.waiting.splice(0)) resolve(undefined);
    await Promise.all(idle.map((session) => session.close()));
  }

  /** A slot freed up: let a waiter open a session of its own. */
  private handOn(session: SnowflakeSession | undefined): void {
    this.waiting.shift()?.(session);
  }
}
