import { beforeAll, describe, expect, it } from 'vitest';
import type { RunningEmulator } from '../../src/emulator/emulator-server.js';
import { cohortMembers, emulator } from '../support/emulator.js';
import { ENGINES, type TestEngine } from '../support/engines.js';
import { bigqueryEngine } from '../support/fake-bigquery/bigquery-engine.js';
import { tempDir } from '../support/temp-dir.js';
import { World } from '../support/world.js';

// Identifiers a request body must escape; they reach Braze exactly as the warehouse holds them. Backslashes
// are written chr(92): Snowflake reads backslash escapes in string constants, PostgreSQL and DuckDB do not.
const AUDIENCE = `CREATE TABLE $data.people AS SELECT * FROM (VALUES
  ('quote"d', NULL, NULL, NULL, 1),
  ('back' || chr(92) || 'slash', NULL, NULL, NULL, 1),
  ('tab' || chr(9) || 'and' || chr(10) || 'newline', NULL, NULL, NULL, 1),
  (NULL, 'dev-ünï', NULL, NULL, 1),
  (NULL, NULL, 'a"b@x.com', 'e' || chr(92) || 'mail', 1),
  ('😀 emoji', NULL, NULL, NULL, 2)
) AS t(external_id, device_id, alias_name, alias_label, wave)`;

const engines = [...ENGINES, bigqueryEngine];
/** The setup SQL in the engine's own string syntax: GoogleSQL escapes a backslash with a backslash. */
const audienceSql = (engine: TestEngine) =>
  engine === bigqueryEngine ? AUDIENCE.replaceAll('\\', '\\\\') : AUDIENCE;

describe.each(engines)('identifiers with characters JSON escapes, on $name', (engine) => {
  let world: World;
  let braze: RunningEmulator;
  let data: string;

  beforeAll(async () => {
    if (!(await engine.available())) throw new Error(`${engine.name} is not reachable`);
    const dir = await tempDir();
    braze = await emulator({ allUsersExist: true });
    const warehouse = engine.isolate(dir);
    data = `${warehouse.stateSchema}_data`;
    await warehouse.exec(`CREATE SCHEMA IF NOT EXISTS ${data}`, audienceSql(engine).replace('$data', data));
    world = new World(dir, warehouse, braze, [
      { name: 'odd', query: `SELECT * FROM ${data}.people WHERE wave <= 2` },
    ]);
  });

  it('are added and removed exactly as the warehouse holds them', async () => {
    expect(await world.runOne()).toMatchObject({ status: 'succeeded', added: 6 });
    expect(cohortMembers(braze, 'cohort-sync-odd')).toEqual(
      [
        'alias:e\\mail:a"b@x.com',
        'device_id:dev-ünï',
        'external_id:back\\slash',
        'external_id:quote"d',
        'external_id:tab\tand\nnewline',
        'external_id:😀 emoji',
      ].sort(),
    );

    await world.warehouse.exec(`DELETE FROM ${data}.people WHERE wave = 1 AND device_id IS NULL`);
    expect(await world.runOne({ allowMassRemoval: true })).toMatchObject({
      status: 'succeeded',
      added: 0,
      removed: 4,
    });
    expect(cohortMembers(braze, 'cohort-sync-odd')).toEqual(['device_id:dev-ünï', 'external_id:😀 emoji']);
  });
});
