import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load-config.js';
import type { SyncConfig } from '../../src/config/types.js';
import type { MemberChange } from '../../src/diff/stage-tables.js';
import type {
  Destination,
  OutgoingBatch,
  RejectedChange,
  SendOutcome,
} from '../../src/destinations/destination.js';
import { silentLogger } from '../../src/log/logger.js';
import { createSource } from '../../src/sources/create-source.js';
import type { Source } from '../../src/sources/source.js';
import { migrateState } from '../../src/state/migrations.js';
import { runSync } from '../../src/sync/run-sync.js';
import { TEST_ENV } from '../support/emulator.js';
import { ENGINES } from '../support/engines.js';
import { tempDir } from '../support/temp-dir.js';

/**
 * A destination of real shape that answers every request with success but refuses the ids in `refuse`
 * one by one, as a `/users/track` answer naming object indexes does: the seam a run delivers through.
 */
class RefusingDestination implements Destination<readonly MemberChange[]> {
  readonly target = { id: 'refusing-cohort', name: 'Refusing' };
  readonly batchLimit = 2;
  readonly concurrency = 2;
  /** Changes the destination took, as `op:id`. */
  readonly accepted: string[] = [];

  constructor(private readonly refuse: ReadonlySet<string>) {}

  prepare() {
    return Promise.resolve({ requests: 0, retries: 0 });
  }

  encode(changes: readonly MemberChange[]): readonly MemberChange[] {
    return changes;
  }

  async send(batch: OutgoingBatch<readonly MemberChange[]>): Promise<SendOutcome> {
    const rejected: RejectedChange[] = [];
    for (const change of await batch.changes()) {
      if (this.refuse.has(change.id))
        rejected.push({ change, message: `refused ${change.id.length}-char id` });
      else this.accepted.push(`${change.op}:${change.id}`);
    }
    return { requests: 1, retries: 0, rejected };
  }
}

describe.each(ENGINES)('changes a destination rejects, on $name', (engine) => {
  let source: Source;
  let sync: SyncConfig;
  let schema: string;

  beforeAll(async () => {
    if (!(await engine.available())) throw new Error(`${engine.name} is not reachable`);
    const warehouse = engine.isolate(await tempDir());
    schema = warehouse.stateSchema;
    const config = await parseConfig(
      `warehouse: ${warehouse.yaml}
state: { schema: ${schema} }
braze:
  rest_endpoint: https://rest.iad-01.braze.com
  partner: acme
  partner_api_key: \${BRAZE_PARTNER_API_KEY}
  data_import_key: \${BRAZE_DATA_IMPORT_KEY}
syncs:
  - name: picky
    cohort_name: Picky
    query: ${JSON.stringify(engine.userIds(1, 5))}
`,
      '/project/cohort-sync.yaml',
      TEST_ENV,
    );
    sync = config.syncs[0]!;
    source = await createSource(config.warehouse);
    await migrateState(source, schema);
  });
  afterAll(() => source?.close());

  const run = (destination: Destination<readonly MemberChange[]>) =>
    runSync({ source, schema, runId: randomUUID(), destination, logger: silentLogger }, sync);
  const rows = <R>(text: string) =>
    source.execute<R & Record<string, unknown>>(
      sql.raw(text.replaceAll('$state', schema)).compile(source.db),
    );

  it('keeps a rejected change out of the snapshot, records it failed with the reason, confirms the rest; the next run re-sends it', async () => {
    const refusing = new RefusingDestination(new Set(['user-3']));
    const first = await run(refusing);
    expect(first).toMatchObject({ status: 'partial', to_add: 5, added: 4, failed: 1 });
    expect(first.error).toBe('1 change(s) rejected: refused 6-char id');
    expect(refusing.accepted.sort()).toEqual(['add:user-1', 'add:user-2', 'add:user-4', 'add:user-5']);

    const snapshot = await rows<{ id: string }>(`SELECT id FROM $state.cohort_snapshot ORDER BY id`);
    expect(snapshot.map((r) => r.id)).toEqual(['user-1', 'user-2', 'user-4', 'user-5']);
    const changes = await rows<{ id: string; status: string; error: string | null }>(
      `SELECT id, status, error FROM $state.sync_changes WHERE run_id = '${first.run_id}' ORDER BY id`,
    );
    expect(changes.map((c) => [c.id, c.status, c.error])).toEqual([
      ['user-1', 'sent', null],
      ['user-2', 'sent', null],
      ['user-3', 'failed', 'refused 6-char id'],
      ['user-4', 'sent', null],
      ['user-5', 'sent', null],
    ]);
    const [audited] = await rows<{ status: string; added: number; failed: number }>(
      `SELECT status, added, failed FROM $state.sync_runs WHERE run_id = '${first.run_id}'`,
    );
    expect([audited?.status, Number(audited?.added), Number(audited?.failed)]).toEqual(['partial', 4, 1]);

    const accepting = new RefusingDestination(new Set());
    const second = await run(accepting);
    expect(second).toMatchObject({ status: 'succeeded', to_add: 1, added: 1, failed: 0 });
    expect(accepting.accepted).toEqual(['add:user-3']);
    const complete = await rows<{ id: string }>(`SELECT id FROM $state.cohort_snapshot ORDER BY id`);
    expect(complete.map((r) => r.id)).toEqual(['user-1', 'user-2', 'user-3', 'user-4', 'user-5']);
  });
});
