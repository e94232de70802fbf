import type { TestEngine } from '../engines.js';
import { tempDir } from '../temp-dir.js';
import { FAKE_HOLD_MARK } from './fake-bigquery.js';
import { fakeWarehouse, startFakeWithKey, userIdsSql } from './fake-bigquery-warehouse.js';

// One fake per test file that loops over this engine, started when the file imports it.
const started = await startFakeWithKey(await tempDir());

/**
 * BigQuery, through the real SDK against the fake (see fake-bigquery.ts), as an engine of the shared
 * integration suites. Setup SQL of those suites is passed through the fake's rewrite to DuckDB, which is
 * more lenient than BigQuery (`DELETE` without `WHERE`, `VALUES … AS t(…)`); what cohort-sync itself
 * generates is GoogleSQL, pinned in test/sources/bigquery/__snapshots__/bigquery.sql.
 */
export const bigqueryEngine: TestEngine = {
  name: 'bigquery-fake',
  available: () => Promise.resolve(true),
  releasesLocksOfKilledClients: true,
  isolate: () => fakeWarehouse(started),
  userIds: userIdsSql,
  // A job of this query never completes in the fake (BigQuery would run it as long as it takes).
  slowSelect: (select) => `SELECT * FROM (${select}) AS q /* ${FAKE_HOLD_MARK} */`,
};
