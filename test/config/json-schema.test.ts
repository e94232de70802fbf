import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadConfig } from '../../src/config/load-config.js';
import { generatedConfigFiles } from '../../src/config/generated-files.js';
import { JSON_SCHEMA_FILE, configJsonSchema, type JsonSchema } from '../../src/config/json-schema.js';
import { editorValidator } from '../support/editor-validator.js';

const root = path.resolve(import.meta.dirname, '../..');

function undescribedKeys(node: JsonSchema, where: string): string[] {
  const missing: string[] = [];
  for (const [key, child] of Object.entries(node.properties ?? {})) {
    const at = where ? `${where}.${key}` : key;
    if (!child.description) missing.push(at);
    missing.push(...undescribedKeys(child, at));
    if (child.items) missing.push(...undescribedKeys(child.items, `${at}[]`));
    for (const variant of [...(child.oneOf ?? []), ...(child.anyOf ?? [])])
      missing.push(...undescribedKeys(variant, at));
    if (typeof child.additionalProperties === 'object')
      missing.push(...undescribedKeys(child.additionalProperties, `${at}.<name>`));
  }
  return missing;
}

describe('the editor JSON Schema', () => {
  it('the checked-in schema and configuration reference are what `npm run schema` generates', async () => {
    for (const [file, expected] of Object.entries(generatedConfigFiles())) {
      const actual = await readFile(path.join(root, file), 'utf8').catch(() => '(missing)');
      expect(
        actual === expected,
        `${file} is out of date with the config schema: run \`npm run schema\` and commit ${file}`,
      ).toBe(true);
    }
  });

  it('describes every key, so editors and the configuration reference explain it', () => {
    expect(
      undescribedKeys(configJsonSchema(), ''),
      'add .describe("…") to these keys in src/config/schema.ts or src/sources/<vendor>/<vendor>-config.ts, then run `npm run schema`',
    ).toEqual([]);
  });

  it('accepts every example config as written, ${VAR} references included, as the loader does', async () => {
    const validate = editorValidator();
    const dir = path.join(root, 'config');
    const files = (await readdir(dir)).filter((file) => file.endsWith('.yaml'));
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) {
      const text = await readFile(path.join(dir, file), 'utf8');
      expect(validate(parse(text)), `${file}: ${JSON.stringify(validate.errors)}`).toBe(true);
      const env = { BRAZE_PARTNER_API_KEY: 'k', BRAZE_DATA_IMPORT_KEY: 's', BRAZE_REST_ENDPOINT: 'http://x' };
      await expect(loadConfig(path.join(dir, file), env)).resolves.toBeDefined();
    }
  });

  it('points every example config at the schema with a yaml-language-server comment', async () => {
    const dir = path.join(root, 'config');
    for (const file of (await readdir(dir)).filter((f) => f.endsWith('.yaml'))) {
      const text = await readFile(path.join(dir, file), 'utf8');
      const reference = /^# yaml-language-server: \$schema=(\S+)$/m.exec(text)?.[1];
      expect(reference, `${file} lacks the yaml-language-server comment`).toBeDefined();
      expect(path.resolve(dir, reference!)).toBe(path.join(root, JSON_SCHEMA_FILE));
    }
  });

  it('flags what the loader rejects: unknown keys, wrong types, out-of-range numbers, bad names', () => {
    const validate = editorValidator();
    const good = {
      warehouse: { type: 'duckdb', path: 'w.duckdb' },
      braze: { instance: 'US-01', partner: 'acme', partner_api_key: '${K}', data_import_key: '${S}' },
      syncs: [{ name: 'vip', cohort_name: 'VIP', query: 'SELECT 1 AS external_id' }],
    };
    expect(validate(good)).toBe(true);
    const bad = (patch: (config: typeof good) => void) => {
      const config = structuredClone(good);
      patch(config);
      return validate(config);
    };
    expect(bad((c) => Object.assign(c.syncs[0]!, { cohort_nam: 'x' }))).toBe(false);
    expect(bad((c) => Object.assign(c.braze, { concurrency: 'four' }))).toBe(false);
    expect(bad((c) => Object.assign(c.braze, { concurrency: 100 }))).toBe(false);
    expect(bad((c) => Object.assign(c.syncs[0]!, { name: 'Bad Name' }))).toBe(false);
    expect(bad((c) => Object.assign(c.warehouse, { type: 'oracle' }))).toBe(false);
    expect(bad((c) => Object.assign(c.syncs[0]!, { name: '${SYNC_NAME}' }))).toBe(true);
  });
});
