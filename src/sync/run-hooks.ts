/**
 * Points inside a run where a test can hold it, injected through the run's environment (never read
 * from the process environment inside a run). A production process injects none.
 */
export interface RunHooks {
  /** Inside each snapshot transaction, after its statements and before its commit. */
  beforeSnapshotCommit?: () => Promise<void>;
}
