import { AsyncLocalStorage } from 'node:async_hooks';

/** Which sync and run a warehouse statement belongs to, for warehouses that can label their queries. */
export interface StatementLabels {
  readonly sync: string;
  readonly runId: string;
}

const current = new AsyncLocalStorage<StatementLabels>();

/**
 * Runs `work` with `labels` on every statement it issues, however deep (a run's statements, its lock
 * heartbeat). One source serves several syncs at once in the daemon; the async context tells whose
 * statement it is without threading labels through every call. Snowflake puts them in its QUERY_TAG.
 */
export function labellingStatements<T>(labels: StatementLabels, work: () => Promise<T>): Promise<T> {
  return current.run(labels, work);
}

/** The labels of the statement being issued; undefined outside {@link labellingStatements}. */
export function statementLabels(): StatementLabels | undefined {
  return current.getStore();
}
