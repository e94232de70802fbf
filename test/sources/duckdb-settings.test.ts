import path from 'node:path';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load-config.js';
import { ConfigError } from '../../src/errors.js';
import { createSource } from '../../src/sources/create-source.js';
import { tempDir } from '../support/temp-dir.js';

const ENV = { K: 'pk-1234', S: 'dik-5678' };
const yaml = (warehouse: string) => `
warehouse: ${warehouse}
braze: { rest_endpoint: http://127.0.0.1:1, partner: p, partner_api_key: '\${K}', data_import_key: '\${S}' }
syncs: [{ name: s, cohort_name: S, query: SELECT 1 AS external_id }]
`;

describe('DuckDB memory_limit and threads', () => {
  it('are passed to the DuckDB instance, which bounds its memory with them', async () => {
    const file = path.join(await tempDir(), 'w.duckdb');
    const config = await parseConfig(
      yaml(`{ type: duckdb, path: ${file}, memory_limit: 96MB, threads: 1 }`),
      '/project/cohort-sync.yaml',
      ENV,
    );
    const source = await createSource(config.warehouse);
    try {
      const [settings] = await source.execute<{ memory: string; threads: number }>(
        sql`SELECT current_setting('memory_limit') AS memory, current_setting('threads') AS threads`.compile(
          source.db,
        ),
      );
      // DuckDB reports the limit in its own units: 96 MB is 91.5 MiB.
      expect(settings).toEqual({ memory: '91.5 MiB', threads: 1 });
    } finally {
      await source.close();
    }
  });

  it('rejects a memory_limit that is not a size, naming the key', async () => {
    const error = await parseConfig(
      yaml('{ type: duckdb, path: w.duckdb, memory_limit: lots }'),
      '/project/cohort-sync.yaml',
      ENV,
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(/warehouse\.memory_limit: must be a size such as 512MB or 2GiB/);
  });
});
