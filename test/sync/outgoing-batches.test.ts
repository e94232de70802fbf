import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stageSchemaFor, stageTables, type StageTables } from '../../src/diff/stage-tables.js';
import { cohortEncoding } from '../../src/destinations/braze-cohort/cohort-destination.js';
import type { CohortBody, CohortChange } from '../../src/destinations/braze-cohort/wire-types.js';
import type { OutgoingBatch } from '../../src/destinations/destination.js';
import { createSource } from '../../src/sources/create-source.js';
import type { Source, SqlCapabilities } from '../../src/sources/source.js';
import { outgoingBatches } from '../../src/sync/outgoing-batches.js';
import { ENGINES } from '../support/engines.js';
import { tempDir } from '../support/temp-dir.js';

// Ids that JSON must escape: quotes, backslashes, control characters, non-ASCII.
const CHANGES = [
  ['add', 'external_id', 'quote"d', '', 0],
  ['add', 'device_id', 'back\\slash', '', 0],
  ['add', 'alias', 'line\nbreak@x.com', 'e"mail', 0],
  ['remove', 'external_id', 'gone', '', 0],
  ['add', 'external_id', 'tab\there', '', 1],
  ['add', 'external_id', 'ctrl\u0001', '', 1],
  ['remove', 'alias', 'ünï😀', 'email', 2],
  ['remove', 'device_id', 'dev-9', '', 2],
  ['add', 'external_id', 'last', '', 3],
] as const;

/** The same source with other capabilities: a fake of real shape, no module patching. */
function withCapabilities(source: Source, caps: Partial<SqlCapabilities>): Source {
  return Object.create(source, { capabilities: { value: { ...source.capabilities, ...caps } } }) as Source;
}

async function collect(batches: AsyncIterable<OutgoingBatch>) {
  const out: { batch: number; adds: number; removes: number; changes: CohortChange[] }[] = [];
  for await (const { batch, adds, removes, body } of batches) {
    const changes = body as CohortBody; // what cohortEncoding encodes
    const entries = Array.isArray(changes) ? changes : (JSON.parse(changes.json) as CohortChange[]);
    // Warehouses aggregate in no particular order; a request is the same set either way.
    const sorted = entries.map((entry) => ({
      ...entry,
      ...(entry.user_ids && { user_ids: [...entry.user_ids].sort() }),
      ...(entry.device_ids && { device_ids: [...entry.device_ids].sort() }),
    }));
    out.push({ batch, adds, removes, changes: sorted });
  }
  return out;
}

/** The batches of CHANGES, as every engine must send them. */
const EXPECTED = [
  {
    batch: 0,
    adds: 3,
    removes: 1,
    changes: [
      {
        user_ids: ['quote"d'],
        device_ids: ['back\\slash'],
        aliases: [{ alias_name: 'line\nbreak@x.com', alias_label: 'e"mail' }],
      },
      { user_ids: ['gone'], should_remove: true },
    ],
  },
  { batch: 1, adds: 2, removes: 0, changes: [{ user_ids: ['ctrl\u0001', 'tab\there'] }] },
  {
    batch: 2,
    adds: 0,
    removes: 2,
    changes: [
      {
        device_ids: ['dev-9'],
        aliases: [{ alias_name: 'ünï😀', alias_label: 'email' }],
        should_remove: true,
      },
    ],
  },
  { batch: 3, adds: 1, removes: 0, changes: [{ user_ids: ['last'] }] },
];

describe.each(ENGINES)('outgoing batches on $name', (engine) => {
  let source: Source;
  let tables: StageTables;

  beforeAll(async () => {
    if (!(await engine.available())) throw new Error(`${engine.name} is not reachable`);
    const warehouse = engine.isolate(await tempDir());
    await warehouse.exec(`CREATE SCHEMA IF NOT EXISTS ${warehouse.stateSchema}`);
    source = await createSource(warehouse.config);
    tables = stageTables('0f1e2d3c-test', stageSchemaFor(source.capabilities, warehouse.stateSchema));
    const values = CHANGES.map(
      ([op, type, id, label, batch]) =>
        sql`(${sql.lit(op)}, ${sql.lit(type)}, ${sql.lit(id)}, ${sql.lit(label)}, ${sql.lit(batch)})`,
    );
    await source.execute(
      sql`CREATE TABLE ${sql.table(`${tables.schema}.${tables.changes}`)} AS SELECT * FROM (VALUES ${sql.join(values)}) AS t(op, id_type, id, alias_label, batch)`.compile(
        source.db,
      ),
    );
  });
  afterAll(() => source.close());
  const input = () => ({
    schema: 'cohort_sync',
    tables,
    syncName: 's',
    lastBatch: 3,
    encoding: cohortEncoding,
  });

  const read = (from: Source) => collect(outgoingBatches({ ...input(), source: from }));

  // Only DuckDB keeps stage tables in a database of their own.
  if (engine.name === 'duckdb')
    it('keeps stage tables out of the database file, in the attached in-memory database', async () => {
      const rows = await source.execute<{ database_name: string }>(
        sql`SELECT database_name FROM duckdb_tables() WHERE table_name = ${tables.changes}`.compile(
          source.db,
        ),
      );
      expect(rows).toEqual([{ database_name: 'cohort_sync_stage' }]);
    });

  it('sends every batch in order, escaped as JSON requires', async () => {
    expect(await read(source)).toEqual(EXPECTED);
  });

  // Snowflake has no jsonBatches capability: it streams change rows, grouped into batches in Node.
  if (engine.name === 'snowflake') return;

  it('builds the JSON of each batch in the warehouse, escaped, across query windows, as Node would from rows', async () => {
    const json = source.capabilities.jsonBatches!;
    const fromWarehouse = await read(
      withCapabilities(source, { jsonBatches: { ...json, batchesPerQuery: 2 } }),
    );
    const fromRows = await read(withCapabilities(source, { jsonBatches: undefined }));
    expect(fromWarehouse).toEqual(fromRows);
    expect(await read(source)).toEqual(fromRows);
    expect(fromWarehouse).toEqual(EXPECTED);
  });

  it('gives the destination the changes of a batch one by one on request, as built in Node or read again from the warehouse', async () => {
    const byKey = (a: { id: string }, b: { id: string }) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
    const changesOf = (batch: number) =>
      CHANGES.filter((change) => change[4] === batch)
        .map(([op, id_type, id, alias_label]) => ({ op, id_type, id, alias_label }))
        .sort(byKey);
    for (const from of [source, withCapabilities(source, { jsonBatches: undefined })]) {
      const seen: number[] = [];
      for await (const batch of outgoingBatches({ ...input(), source: from })) {
        expect([...(await batch.changes())].sort(byKey)).toEqual(changesOf(batch.batch));
        seen.push(batch.batch);
      }
      expect(seen).toEqual([0, 1, 2, 3]);
    }
  });

  it('stops querying when the consumer stops pulling', async () => {
    const json = source.capabilities.jsonBatches!;
    const seen: number[] = [];
    for await (const batch of outgoingBatches({
      ...input(),
      source: withCapabilities(source, { jsonBatches: { ...json, batchesPerQuery: 1 } }),
    })) {
      seen.push(batch.batch);
      if (batch.batch === 1) break;
    }
    expect(seen).toEqual([0, 1]);
  });
});
