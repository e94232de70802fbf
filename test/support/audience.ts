import type { RunningEmulator } from '../../src/emulator/emulator-server.js';
import { emulator } from './emulator.js';
import type { TestEngine, TestWarehouse } from './engines.js';
import { tempDir } from './temp-dir.js';

/** What the sync scenarios start from: see {@link audienceWarehouse}. */
export interface AudienceSetup {
  dir: string;
  warehouse: TestWarehouse;
  /** The Braze emulator, where every identifier is an existing user. */
  braze: RunningEmulator;
  /** The schema of the `audience` table, next to the state schema. */
  data: string;
}

/**
 * A temp directory, a fresh warehouse of `engine` with an empty table `<data>.audience (external_id
 * TEXT)` for a test to fill, and a Braze emulator; all removed when the test file ends.
 */
export async function audienceWarehouse(engine: TestEngine): Promise<AudienceSetup> {
  const dir = await tempDir();
  const braze = await emulator({ allUsersExist: true });
  const warehouse = engine.isolate(dir);
  const data = `${warehouse.stateSchema}_data`;
  await warehouse.exec(
    `CREATE SCHEMA IF NOT EXISTS ${data}`,
    `CREATE TABLE ${data}.audience (external_id TEXT)`,
  );
  return { dir, warehouse, braze, data };
}
