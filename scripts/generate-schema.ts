/**
 * `npm run schema`: writes the editor JSON Schema and the configuration
 * reference from the zod schema in src/config/schema.ts (the `warehouse:` mappings in
 * src/sources/<vendor>/<vendor>-config.ts). CI fails when the
 * checked-in files differ from what this writes (test/config/json-schema.test.ts).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { generatedConfigFiles } from '../src/config/generated-files.js';

const root = path.resolve(import.meta.dirname, '..');
for (const [file, text] of Object.entries(generatedConfigFiles())) {
  const target = path.join(root, file);
  await mkdir(path.dirname(target), { recursive: true });
  await writeFile(target, text);
  process.stdout.write(`wrote ${file}\n`);
}
