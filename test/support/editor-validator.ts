import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import { configJsonSchema } from '../../src/config/json-schema.js';

/** A JSON Schema validator as an editor uses one, compiled from the generated schema. */
export function editorValidator() {
  const ajv = new Ajv({ allErrors: true, strict: false });
  addFormats.default(ajv);
  return ajv.compile(configJsonSchema());
}
