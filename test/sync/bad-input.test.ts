import { beforeAll, describe, expect, it } from 'vitest';
import type { RunningEmulator } from '../../src/emulator/emulator-server.js';
import { runCli } from '../support/cli.js';
import { TEST_ENV, cohortMembers, emulator } from '../support/emulator.js';
import { ENGINES } from '../support/engines.js';
import { snapshotMembers } from '../support/invariants.js';
import { tempDir } from '../support/temp-dir.js';
import { World } from '../support/world.js';

/**
 * Queries a run must refuse with a clear message before staging or sending anything. `$data`: the data schema.
 * Column names are matched regardless of case (Snowflake reports unquoted names upper-cased), and type names
 * in each engine's own words.
 */
const REFUSED: [name: string, query: string, message: RegExp][] = [
  [
    'a syntax error',
    'SELEC external_id FROM $data.people',
    /reading the query columns failed: .*syntax error/is,
  ],
  [
    'an unknown table',
    'SELECT external_id FROM $data.no_such_table',
    /reading the query columns failed: .*no_such_table/s,
  ],
  [
    'no identifier column',
    'SELECT alias_label AS email FROM $data.people',
    /the query returns none of the identifier columns \(external_id, device_id, alias_name\); it returned: email\. Alias the columns/i,
  ],
  [
    'an alias without a label column',
    'SELECT alias_name FROM $data.people',
    /returns alias_name but no alias_label column; return the alias label or set identifiers\.alias_label/i,
  ],
  [
    'a boolean id',
    'SELECT TRUE AS external_id FROM $data.people',
    /identifier column external_id is of type (BOOLEAN|boolean), whose values are not ids as text; identifiers must be text, whole numbers or UUIDs.*CAST\(external_id AS (VARCHAR|TEXT)\)/i,
  ],
  [
    'a floating-point id',
    'SELECT CAST(1.5 AS DOUBLE PRECISION) AS external_id FROM $data.people',
    /external_id is of type (DOUBLE|double precision|FLOAT)/i,
  ],
  [
    'a decimal id with a fraction',
    'SELECT CAST(12.5 AS DECIMAL(10,2)) AS external_id FROM $data.people',
    /external_id is of type (DECIMAL|numeric|NUMBER)\(10,2\)/i,
  ],
  [
    'a date id',
    "SELECT DATE '2026-01-01' AS device_id FROM $data.people",
    /device_id is of type (DATE|date)/i,
  ],
  ['a list id', "SELECT ARRAY['a', 'b'] AS external_id FROM $data.people", /external_id is of type/i],
  ['a struct id', "SELECT ROW('a', 1) AS external_id FROM $data.people", /external_id is of type/i],
  [
    'a date alias label',
    "SELECT alias_name, DATE '2026-01-01' AS alias_label FROM $data.people",
    /alias_label is of type (DATE|date)/i,
  ],
  [
    'an error only the data reveals',
    "SELECT CAST(COALESCE(external_id, 'x') AS INTEGER) AS external_id FROM $data.people",
    /staging the query result failed: .*(Conversion Error|invalid input syntax)/s,
  ],
];

const PEOPLE = `CREATE TABLE $data.people (external_id TEXT, device_id TEXT, alias_name TEXT, alias_label TEXT)`;
/** Every kind of row a query can return, with what becomes of it. */
const ROWS = [
  "('ok-1', NULL, NULL, NULL)", // member
  "('ok-1', NULL, NULL, NULL)", // duplicate
  "(' padded ', NULL, NULL, NULL)", // member, spaces kept: Braze ids are exact strings
  "(REPEAT('y', 1024), NULL, NULL, NULL)", // member: 1,024 characters is the limit
  "(NULL, NULL, 'b@x.com', 'email')", // member by alias
  "('', NULL, NULL, NULL)", // blank
  "('   ', NULL, NULL, NULL)", // blank: only spaces
  "('', 'dev-1', NULL, NULL)", // blank: an empty external_id is not NULL, so it does not fall back to device_id
  "(REPEAT('x', 1025), NULL, NULL, NULL)", // too long
  "(NULL, NULL, 'a@x.com', '')", // alias without a label
  '(NULL, NULL, NULL, NULL)', // no identifier at all
];

describe.each(ENGINES)('bad input on $name', (engine) => {
  let world: World;
  let braze: RunningEmulator;
  let data: string;

  beforeAll(async () => {
    const dir = await tempDir();
    braze = await emulator({ allUsersExist: true });
    const warehouse = engine.isolate(dir);
    data = `${warehouse.stateSchema}_data`;
    await warehouse.exec(
      `CREATE SCHEMA IF NOT EXISTS ${data}`,
      PEOPLE.replace('$data', data),
      `INSERT INTO ${data}.people VALUES ${ROWS.join(', ')}`,
    );
    world = new World(dir, warehouse, braze, [
      ...REFUSED.map(([, query], index) => ({
        name: `refused_${index}`,
        query: query.replace('$data', data),
      })),
      { name: 'rows', query: `SELECT * FROM ${data}.people` },
      {
        name: 'numbers',
        query:
          'SELECT CAST(9007199254740993 AS BIGINT) AS external_id UNION ALL SELECT CAST(-42 AS BIGINT) ' +
          'UNION ALL SELECT CAST(12345678901234567890123 AS DECIMAL(38,0)) UNION ALL SELECT CAST(7 AS INTEGER)',
      },
      { name: 'uuids', query: "SELECT CAST('a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11' AS UUID) AS device_id" },
    ]);
  });

  it.each(REFUSED.map(([name, , message], index) => [name, index, message] as const))(
    'refuses %s with a message naming the sync, and changes nothing',
    async (_name, index, message) => {
      const sync = `refused_${index}`;
      const before = braze.state.history.length;
      const [report] = await world.run({ syncs: [sync] });
      expect(report).toMatchObject({ status: 'failed', added: 0, removed: 0, requests: 0 });
      expect(report!.error).toMatch(new RegExp(`^sync "${sync}": `));
      expect(report!.error).toMatch(message);
      expect(report!.error).not.toMatch(/\n\s+at /);
      expect(braze.state.history.length).toBe(before);
      expect(await snapshotMembers(world, sync)).toEqual([]);
      const [run] = await world.query(
        `SELECT status, error FROM $state.sync_runs WHERE run_id = '${report!.run_id}'`,
      );
      expect(run).toEqual({ status: 'failed', error: report!.error });
    },
  );

  it('the CLI reports a refused query in one line, exit 1, and no stack trace', async () => {
    await world.config();
    const index = REFUSED.findIndex(([name]) => name === 'a boolean id');
    const result = await runCli(['run', '--config', world.configFile, '--sync', `refused_${index}`], {
      env: TEST_ENV,
    });
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(new RegExp(`^refused_${index}: failed`, 'm'));
    expect(result.stdout + result.stderr).toMatch(/identifier column external_id is of type/i);
    expect(result.stdout + result.stderr).not.toMatch(/\n\s+at |unexpected error/);
  });

  it('counts every row: members, a duplicate, a row with no identifier, and invalid ids with their reasons', async () => {
    const [report] = await world.run({ syncs: ['rows'] });
    expect(report).toMatchObject({
      status: 'succeeded',
      query_rows: 11,
      members: 4,
      skipped_duplicate: 1,
      skipped_null: 1,
      skipped_invalid: 5,
      skip_reasons:
        'alias without an alias label: 1; blank identifier (empty or only spaces): 3; identifier longer than 1024 characters: 1',
      added: 4,
    });
    const [run] = await world.query(
      `SELECT query_rows, skipped_null, skipped_duplicate, skipped_invalid, skip_reasons FROM $state.sync_runs WHERE run_id = '${report!.run_id}'`,
    );
    expect(run).toEqual({
      query_rows: 11,
      skipped_null: 1,
      skipped_duplicate: 1,
      skipped_invalid: 5,
      skip_reasons: report!.skip_reasons,
    });
    const expected = [
      'alias:email:b@x.com',
      'external_id: padded ',
      'external_id:ok-1',
      `external_id:${'y'.repeat(1024)}`,
    ].sort();
    expect(cohortMembers(braze, 'cohort-sync-rows')).toEqual(expected);
    expect(await snapshotMembers(world, 'rows')).toEqual(expected);
  });

  it('whole numbers become their exact decimal text, past 2^53 and past BIGINT', async () => {
    const [report] = await world.run({ syncs: ['numbers'] });
    expect(report).toMatchObject({ status: 'succeeded', members: 4, skipped_invalid: 0 });
    const expected = [
      'external_id:-42',
      'external_id:12345678901234567890123',
      'external_id:7',
      'external_id:9007199254740993',
    ];
    expect(cohortMembers(braze, 'cohort-sync-numbers')).toEqual(expected);
    expect(await snapshotMembers(world, 'numbers')).toEqual(expected);
    // A second run finds nothing to change: the text form is stable from run to run.
    expect((await world.run({ syncs: ['numbers'] }))[0]).toMatchObject({ to_add: 0, to_remove: 0 });
  });

  it('UUIDs become their canonical text', async () => {
    const [report] = await world.run({ syncs: ['uuids'] });
    expect(report).toMatchObject({ status: 'succeeded', added: 1 });
    expect(cohortMembers(braze, 'cohort-sync-uuids')).toEqual([
      'device_id:a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
    ]);
  });
});
