import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { WarehouseConfig } from '../../../src/config/types.js';
import { atEnd } from '../cleanup.js';
import { execWith, type TestWarehouse } from '../engines.js';
import { FakeBigQuery } from './fake-bigquery.js';

export const FAKE_PROJECT = 'fake-project';

/**
 * A fake BigQuery on loopback (stopped when the test file ends) and a warehouse config that reaches it
 * through the real SDK the way a user's config would: a service account key file (a fresh RSA key; the
 * SDK signs its own bearer JWT, which the fake verifies) and `api_endpoint`. Each call gets its own dataset.
 */
export async function fakeBigQueryWarehouse(
  dir: string,
  extra = '',
): Promise<{ fake: FakeBigQuery; warehouse: TestWarehouse }> {
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
  const dataset = `cs_${randomUUID().replace(/-/g, '').slice(0, 10)}`;
  const config: WarehouseConfig = {
    type: 'bigquery',
    project_id: FAKE_PROJECT,
    location: 'US',
    key_file: keyFile,
    api_endpoint: fake.url,
    stage_expiration_hours: 24,
  };
  const yaml = `{ type: bigquery, project_id: ${FAKE_PROJECT}, location: US, key_file: ${keyFile}, api_endpoint: "${fake.url}"${extra ? `, ${extra}` : ''} }`;
  return {
    fake,
    warehouse: {
      yaml,
      config,
      stateSchema: dataset,
      exec: (...statements: string[]) => execWith(config, statements),
    },
  };
}
