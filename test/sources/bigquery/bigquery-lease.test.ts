import { OAuth2Client } from 'google-auth-library';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { BigQuerySource } from '../../../src/sources/bigquery/bigquery-source.js';
import { migrateState } from '../../../src/state/migrations.js';
import { HEARTBEAT_MS, acquireSyncLock } from '../../../src/state/sync-lock.js';
import { FakeBigQuery } from '../../support/fake-bigquery/fake-bigquery.js';

const TOKEN = 'ya29.lease-test';

/** Waits in real time (only setInterval and Date are faked here) for the heartbeat's job to come back. */
async function until(condition: () => boolean): Promise<void> {
  for (let waited = 0; waited < 30_000 && !condition(); waited += 10)
    await new Promise((resolve) => setTimeout(resolve, 10));
}

describe('the sync lock on BigQuery is a lease', () => {
  let fake: FakeBigQuery;
  afterEach(() => vi.useRealTimers());
  afterAll(() => fake.stop());

  it('is lost, so that the run stops sending, when the heartbeat cannot renew it before it may expire', async () => {
    fake = await FakeBigQuery.start({ token: TOKEN });
    const auth = new OAuth2Client();
    auth.setCredentials({ access_token: TOKEN, expiry_date: Date.now() + 3_600_000 });
    const source = BigQuerySource.open(
      {
        type: 'bigquery',
        project_id: fake.project,
        location: 'US',
        api_endpoint: fake.url,
        stage_expiration_hours: 24,
      },
      { authClient: auth },
    );
    await migrateState(source, 'lease_state');
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'Date'] });
    const lock = await acquireSyncLock(source, 'lease_state', 'leased', 'run-1');
    const renewals = () => fake.jobs.filter((job) => /^update `lease_state`\.`sync_locks`/.test(job.sql));
    const unavailable = { status: 400, reason: 'invalidQuery', message: 'Table is unavailable' };
    fake.failNext(/^update `lease_state`\.`sync_locks`/, unavailable);
    fake.failNext(/^update `lease_state`\.`sync_locks`/, unavailable);

    await vi.advanceTimersByTimeAsync(HEARTBEAT_MS); // one missed beat: the lease still has 40 s
    await until(() => renewals().length === 1);
    expect(lock.lost?.aborted).toBe(false);

    await vi.advanceTimersByTimeAsync(HEARTBEAT_MS); // two: the lease may run out before the next beat
    await until(() => lock.lost?.aborted === true);
    expect(renewals()).toHaveLength(2);
    expect(lock.lost?.aborted).toBe(true);
    expect(String(lock.lost?.reason)).toMatch(
      /could not renew the lease of sync "leased": Table is unavailable/,
    );
    vi.useRealTimers();
    await lock.release();
  });
});
