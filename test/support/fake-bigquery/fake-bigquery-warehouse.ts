import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { WarehouseConfig } from '../../../src/config/types.js';
import { atEnd } from '../cleanup.js';
import { execWith, type TestWarehouse } from '../engines.js';
import { FakeBigQuery } from './fake-bigquery.js';

export const FAKE_PROJECT = 'fake-project';

/** A running fake and a service account key file it accepts. */
export interface FakeWithKey {
  fake: FakeBigQuery;
  keyFile: string;
}

/**
 * A fake BigQuery on loopback (stopped when the test file ends) that accepts the bearer JWT the real SDK
 * signs itself from a service account key file: a fresh RSA key, written to `dir`. The key names another
 * universe domain, which makes google-auth-library sign its own token instead of asking Google for one.
 */
export async function startFakeWithKey(dir: string): Promise<FakeWithKey> {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const fake = await FakeBigQuery.start({ project: FAKE_PROJECT, publicKey });
  atEnd(() => fake.stop());
  const keyFile = path.join(dir, `key-${randomUUID().slice(0, 8)}.json`);
  await writeFile(
    keyFile,
    JSON.stringify({
      type: 'service_account',
      project_id: FAKE_PROJECT,
      private_key_id: 'fake-key-1',
      private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }),
      client_email: `cohort-sync@${FAKE_PROJECT}.iam.gserviceaccount.com`,
      client_id: '1',
      token_uri: `${fake.url}/token`,
      universe_domain: 'fake.test',
    }),
  );
  return { fake, keyFile };
}

/**
 * A warehouse config that reaches the fake through the real SDK the way a user's config would: `key_file`
 * and `api_endpoint`; its own dataset.
 */
export function fakeWarehouse({ fake, keyFile }: FakeWithKey, extra = ''): TestWarehouse {
  const dataset = `cs_${randomUUID().replace(/-/g, '').slice(0, 10)}`;
  const config: WarehouseConfig = {
    type: 'bigquery',
    project_id: FAKE_PROJECT,
    location: 'US',
    key_file: keyFile,
    api_endpoint: fake.url,
    stage_expiration_hours: 24,
  };
  return {
    yaml: `{ type: bigquery, project_id: ${FAKE_PROJECT}, location: US, key_file: ${keyFile}, api_endpoint: "${fake.url}"${extra ? `, ${extra}` : ''} }`,
    config,
    stateSchema: dataset,
    exec: (...statements: string[]) => execWith(config, statements),
  };
}

/** A fake of its own and a warehouse on it, for tests that inspect or steer the fake. */
export async function fakeBigQueryWarehouse(
  dir: string,
  extra = '',
): Promise<{ fake: FakeBigQuery; warehouse: TestWarehouse }> {
  const started = await startFakeWithKey(dir);
  return { fake: started.fake, warehouse: fakeWarehouse(started, extra) };
}

/** The audience GoogleSQL of `user-<from>` … `user-<to>` external ids. */
export function userIdsSql(from: number, to: number): string {
  return `SELECT CONCAT('user-', CAST(i AS STRING)) AS external_id FROM UNNEST(GENERATE_ARRAY(${from}, ${to})) AS i`;
}

/**
 * A fake of its own with a warehouse on it, and a dataset `<state>_data` holding `audience`
 * (`external_id`) with the users `user-<from>` … `user-<to>`. Returns the dataset's name too.
 */
export async function fakeBigQueryAudience(
  dir: string,
  from: number,
  to: number,
): Promise<{ fake: FakeBigQuery; warehouse: TestWarehouse; data: string }> {
  const { fake, warehouse } = await fakeBigQueryWarehouse(dir);
  const data = `${warehouse.stateSchema}_data`;
  await warehouse.exec(
    `CREATE SCHEMA \`${data}\``,
    `CREATE TABLE \`${data}.audience\` AS ${userIdsSql(from, to)}`,
  );
  return { fake, warehouse, data };
}
