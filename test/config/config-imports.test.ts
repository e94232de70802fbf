import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '../..');

interface Imports {
  /** Our modules, relative to the repository root. */
  files: Set<string>;
  /** npm packages imported at run time (not `import type`). */
  packages: Set<string>;
}

/** Every module `entry` reaches through static imports, and the packages they load. */
async function reachable(entry: string): Promise<Imports> {
  const files = new Set<string>();
  const packages = new Set<string>();
  const visit = async (file: string): Promise<void> => {
    if (files.has(file)) return;
    files.add(file);
    const text = await readFile(path.join(root, file), 'utf8');
    for (const [, typeOnly, spec] of text.matchAll(
      /^(?:import|export)\s+(type\s)?[^'";]*?from\s+'([^']+)'/gm,
    )) {
      if (spec!.startsWith('.')) await visit(path.join(path.dirname(file), spec!.replace(/\.js$/, '.ts')));
      else if (!typeOnly && !spec!.startsWith('node:'))
        packages.add(spec!.startsWith('@') ? spec!.split('/').slice(0, 2).join('/') : spec!.split('/')[0]!);
    }
  };
  await visit(entry);
  return { files, packages };
}

describe('what loading a config loads', () => {
  it('reaches the vendor side only through the registry of pure warehouse config modules', async () => {
    const { files } = await reachable('src/config/load-config.ts');
    const vendorSide = [...files].filter((file) => file.startsWith('src/sources/')).sort();
    expect(vendorSide.length).toBeGreaterThan(0);
    for (const file of vendorSide)
      expect(file, `${file} is not a pure warehouse config module`).toMatch(
        /^src\/sources\/(warehouse-configs|warehouse-config-module|\w+\/\w+-config|duckdb\/duckdb-path)\.ts$/,
      );
    const above = [...files].filter((file) => !/^src\/(config|sources)\/|^src\/errors\.ts$/.test(file));
    expect(above).toEqual([]);
  });

  it('loads no warehouse driver, SDK, SQL builder or HTTP client: validate stays fast', async () => {
    const { packages } = await reachable('src/config/load-config.ts');
    expect([...packages].sort()).toEqual(['fastest-levenshtein', 'node-cron', 'yaml', 'zod']);
  });
});
