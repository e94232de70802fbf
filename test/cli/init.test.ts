import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { parse } from 'yaml';
import { parseConfig } from '../../src/config/load-config.js';
import { JSON_SCHEMA_FILE } from '../../src/config/json-schema.js';
import {
  initWarehouseTypes,
  renderInitFiles,
  schemaWarehouseTypes,
} from '../../src/cli/init/render-init-files.js';
import { editorValidator } from '../support/editor-validator.js';
import { mainCli } from '../support/main-cli.js';
import { tempDir } from '../support/temp-dir.js';

const env = {
  BRAZE_PARTNER_API_KEY: 'pk',
  BRAZE_DATA_IMPORT_KEY: 'dik',
  DATABASE_URL: 'postgres://u@localhost/db',
  SNOWFLAKE_PASSWORD: 'pw',
  GOOGLE_APPLICATION_CREDENTIALS: '/etc/gcp/cohort-sync-key.json',
};

describe('cohort-sync init', () => {
  afterEach(() => vi.unstubAllEnvs());

  it('has a template for every warehouse type the config schema accepts', () => {
    const missing = schemaWarehouseTypes().filter((type) => !initWarehouseTypes().includes(type));
    expect(missing, 'add a template for these types to src/cli/init/warehouse-templates.ts').toEqual([]);
  });

  it.each(initWarehouseTypes())(
    'the %s starter config is valid for the loader and the editor JSON Schema',
    async (type) => {
      const dir = await tempDir();
      const files = renderInitFiles(type, '../schema.json');
      const configFile = path.join(dir, 'config', 'cohort-sync.yaml');
      await mkdir(path.join(dir, 'queries'));
      await writeFile(path.join(dir, 'queries', 'example.sql'), files.query);
      const validate = editorValidator();
      expect(validate(parse(files.config)), JSON.stringify(validate.errors)).toBe(true);
      const config = await parseConfig(files.config, configFile, env);
      expect(config.warehouse.type).toBe(type);
      expect(config.syncs.map((s) => s.query_file)).toEqual([path.join(dir, 'queries', 'example.sql')]);
      expect(files.config).toMatch(/^# yaml-language-server: \$schema=\.\.\/schema\.json$/m);
    },
  );

  it('writes a config and query that validate and plan as they are, with the schema comment', async () => {
    const dir = await tempDir();
    const init = await mainCli(['init', '--dir', dir]);
    expect(init).toMatchObject({ code: 0, stderr: '' });
    expect(init.stdout).toMatch(/created .*config\/cohort-sync\.yaml\ncreated .*queries\/example\.sql/);
    const config = path.join(dir, 'config', 'cohort-sync.yaml');
    const text = await readFile(config, 'utf8');
    const schemaRef = /^# yaml-language-server: \$schema=(\S+)$/m.exec(text)?.[1] ?? '';
    expect(await readFile(new URL(schemaRef), 'utf8')).toContain('"cohort-sync configuration"');
    expect(new URL(schemaRef).pathname).toBe(path.resolve(import.meta.dirname, '../..', JSON_SCHEMA_FILE));

    for (const [name, value] of Object.entries(env)) vi.stubEnv(name, value);
    const plan = await mainCli(['plan', '--config', config, '--json']);
    expect(plan.code).toBe(0);
    expect(JSON.parse(plan.stdout)).toMatchObject({
      syncs: [{ verdict: 'ok', changes: { add: 10, remove: 0 } }],
    });
  });

  it('never overwrites without --force, and names the files it kept', async () => {
    const dir = await tempDir();
    expect((await mainCli(['init', '--dir', dir])).code).toBe(0);
    const query = path.join(dir, 'queries', 'example.sql');
    await writeFile(query, 'SELECT 1 AS external_id -- mine\n');
    const again = await mainCli(['init', '--dir', dir]);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain(
      `${path.join(dir, 'config', 'cohort-sync.yaml')} and ${query} already exist`,
    );
    expect(again.stderr).toContain('--force');
    expect(await readFile(query, 'utf8')).toContain('-- mine');

    const forced = await mainCli(['init', '--dir', dir, '--force']);
    expect(forced.code).toBe(0);
    expect(await readFile(query, 'utf8')).not.toContain('-- mine');
  });

  it('rejects an unknown warehouse type with the supported ones (exit 2)', async () => {
    const result = await mainCli(['init', '--dir', await tempDir(), '--warehouse', 'oracle']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      `unknown warehouse type "oracle"; choose one of: ${initWarehouseTypes().join(', ')}`,
    );
  });
});
