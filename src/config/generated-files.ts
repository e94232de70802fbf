import { configReference } from './config-reference.js';
import { JSON_SCHEMA_FILE, configJsonSchema } from './json-schema.js';

/** The generated reference page, next to the hand-written docs. */
export const CONFIG_REFERENCE_FILE = 'docs/config-reference.md';

/** Repository path → exact text of every file `npm run schema` writes. */
export function generatedConfigFiles(): Record<string, string> {
  const schema = configJsonSchema();
  return {
    [JSON_SCHEMA_FILE]: `${JSON.stringify(schema, null, 2)}\n`,
    [CONFIG_REFERENCE_FILE]: configReference(schema),
  };
}
