import { beforeAll, describe, expect, it } from 'vitest';
import { createSource } from '../../src/sources/create-source.js';
import { migrateState } from '../../src/state/migrations.js';
import { deleteOldChanges } from '../../src/state/retention.js';
import { ENGINES } from '../support/engines.js';
import { bigqueryEngine } from '../support/fake-bigquery/bigquery-engine.js';
import { tempDir } from '../support/temp-dir.js';

const engines = [...ENGINES, bigqueryEngine];

describe.each(engines)('retention of sync_changes on $name', (engine) => {
  let dir: string;
  beforeAll(async () => {
    if (!(await engine.available())) throw new Error(`${engine.name} is not reachable`);
    dir = await tempDir();
  });

  it('deletes rows older than the retention and keeps the rest', async () => {
    const warehouse = engine.isolate(dir);
    const source = await createSource(warehouse.config);
    const schema = warehouse.stateSchema;
    try {
      await migrateState(source, schema);
      const now = new Date('2026-03-31T12:00:00Z');
      const row = (id: string, created: string) =>
        `('run-1', 'vip', 'add', 'external_id', '${id}', '', 0, 'sent', NULL, TIMESTAMPTZ '${created}')`;
      await warehouse.exec(
        `INSERT INTO ${schema}.sync_changes (run_id, sync_name, op, id_type, id, alias_label, batch, status, error, created_at) VALUES ` +
          [
            row('old-1', '2026-02-01 00:00:00+00'),
            row('old-2', '2026-02-28 23:59:59+00'),
            row('edge', '2026-03-01 12:00:01+00'),
            row('new', '2026-03-31 11:00:00+00'),
          ].join(', '),
      );
      expect(await deleteOldChanges(source, schema, 30, now)).toBe(2);
      const left = await source.execute<{ id: string }>(
        source.db.withSchema(schema).selectFrom('sync_changes').select('id').orderBy('id').compile(),
      );
      expect(left.map((r) => r.id)).toEqual(['edge', 'new']);
      expect(await deleteOldChanges(source, schema, 30, now)).toBe(0);
    } finally {
      await source.close();
    }
  });
});
