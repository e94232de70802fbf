import { z } from 'zod';
import { configSchema } from './schema.js';

/** A JSON Schema node, as far as the generator and the reference writer look into it. */
export interface JsonSchema {
  [key: string]: unknown;
  type?: string | string[];
  description?: string;
  default?: unknown;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  oneOf?: JsonSchema[];
  anyOf?: JsonSchema[];
  /** A schema for the values of a map with free keys (a record), or false for a closed mapping. */
  additionalProperties?: JsonSchema | boolean;
  const?: unknown;
  enum?: unknown[];
  pattern?: string;
  format?: string;
}

/** Where the generated schema lives in the repository and the published package. */
export const JSON_SCHEMA_FILE = 'schema/cohort-sync.schema.json';

/** The `${VAR}` reference a string value may hold instead of its literal value; interpolated before validation. */
const ENV_REFERENCE: JsonSchema = {
  type: 'string',
  pattern: '\\$\\{[A-Za-z_][A-Za-z0-9_]*\\}',
  description:
    'An environment variable reference such as ${BRAZE_REST_ENDPOINT}, replaced before validation.',
};

/**
 * The editor JSON Schema (draft-07, what yaml-language-server reads),
 * generated from the zod config schema so the two never disagree. Input
 * types are used, so keys with defaults are optional. Strings checked by a
 * pattern or format also accept a `${VAR}` reference, because interpolation
 * happens before validation.
 */
export function configJsonSchema(): JsonSchema {
  const generated = z.toJSONSchema(configSchema, { io: 'input', target: 'draft-07' }) as JsonSchema;
  const tidy = tidyNode(generated);
  const { $schema, ...rest } = tidy;
  return {
    $schema,
    title: 'cohort-sync configuration',
    description:
      'cohort-sync: sync SQL audiences from your warehouse to Braze cohorts. Secrets are ${ENV_VAR} references.',
    ...rest,
  };
}

function tidyNode(node: JsonSchema): JsonSchema {
  const out: JsonSchema = {};
  for (const [key, value] of Object.entries(node)) {
    // zod spells "any safe integer" as ±2^53-1 bounds: noise in an editor's hover.
    if ((key === 'maximum' || key === 'minimum') && Math.abs(value as number) === Number.MAX_SAFE_INTEGER)
      continue;
    if (key === 'properties') {
      out.properties = Object.fromEntries(
        Object.entries(value as Record<string, JsonSchema>).map(([name, child]) => [name, tidyNode(child)]),
      );
    } else if ((key === 'items' || key === 'additionalProperties') && isSchema(value)) {
      out[key] = tidyNode(value);
    } else if (key === 'oneOf' || key === 'anyOf' || key === 'allOf') {
      out[key] = (value as JsonSchema[]).map(tidyNode);
    } else {
      out[key] = value;
    }
  }
  return allowReference(out);
}

function isSchema(value: unknown): value is JsonSchema {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function allowReference(node: JsonSchema): JsonSchema {
  if (node.type !== 'string' || (node.pattern === undefined && node.format === undefined)) return node;
  const { description, default: fallback, ...literal } = node;
  const wrapped: JsonSchema = { anyOf: [literal, ENV_REFERENCE] };
  if (description !== undefined) wrapped.description = description;
  if (fallback !== undefined) wrapped.default = fallback;
  return wrapped;
}
