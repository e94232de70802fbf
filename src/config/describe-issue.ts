import { closest, distance } from 'fastest-levenshtein';
import { z } from 'zod';

type ZodIssue = z.core.$ZodIssue;

/** A zod issue in words a user can act on, with a "did you mean" for misspelt keys and values. */
export function describeIssue(issue: ZodIssue, schema: z.ZodType, input: unknown): string[] {
  switch (issue.code) {
    case 'unrecognized_keys': {
      const known = knownKeys(schema, issue.path, input);
      return issue.keys.map((key) => `unknown key${suggestion(key, known)}`);
    }
    case 'invalid_type': {
      const value = valueAt(input, issue.path);
      if (value === undefined) return [`is required (expected ${article(issue.expected)})`];
      // Every secret is a string: a value given where one was expected may be a secret, so it is not echoed.
      const got = issue.expected === 'string' ? kindOf(value, { echo: false }) : kindOf(value);
      return [`expected ${article(issue.expected)}, got ${got}`];
    }
    case 'invalid_union': {
      const options = 'options' in issue && Array.isArray(issue.options) ? issue.options.map(String) : [];
      if (options.length > 0) {
        const value = valueAt(input, issue.path);
        const given = typeof value === 'string' ? value : '';
        return [`must be one of: ${options.join(', ')}${suggestion(given, options)}`];
      }
      return [issue.message];
    }
    case 'invalid_value':
      return [`must be one of: ${issue.values.map(String).join(', ')}`];
    case 'too_small':
      if (issue.origin === 'string') return ['must be a non-empty string'];
      if (issue.origin === 'array')
        return [
          issue.message.startsWith('Too small')
            ? `must have at least ${issue.minimum} item(s)`
            : issue.message,
        ];
      return [`must be ${issue.inclusive ? 'at least' : 'greater than'} ${issue.minimum}`];
    case 'too_big':
      return [`must be ${issue.inclusive ? 'at most' : 'less than'} ${issue.maximum}`];
    default:
      return [issue.message];
  }
}

/**
 * A union that matched no option reports every option's problems; a user wants those of the option they
 * meant: the one with the fewest problems (ties go to the first), with paths made absolute. Other issues pass through.
 */
export function unionBranchIssues(issue: ZodIssue): ZodIssue[] {
  if (issue.code !== 'invalid_union' || issue.errors.length === 0) return [issue];
  const best = issue.errors.reduce((a, b) => (b.length < a.length ? b : a));
  return best
    .map((inner): ZodIssue => ({ ...inner, path: [...issue.path, ...inner.path] }))
    .flatMap(unionBranchIssues);
}

function suggestion(given: string, candidates: readonly string[]): string {
  if (candidates.length === 0 || given === '') return '';
  const best = closest(given, [...candidates]);
  return distance(given, best) <= Math.max(2, Math.floor(best.length / 3))
    ? ` (did you mean "${best}"?)`
    : '';
}

function article(expected: string): string {
  return /^[aeiou]/.test(expected) ? `an ${expected}` : `a ${expected}`;
}

function kindOf(value: unknown, { echo = true } = {}): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return echo ? `${article(typeof value)} (${JSON.stringify(value)})` : article(typeof value);
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let node = input;
  for (const segment of path) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<PropertyKey, unknown>)[segment];
  }
  return node;
}

/** The keys the schema allows at `path`, following the input through unions by their discriminator. */
function knownKeys(schema: z.ZodType, path: readonly PropertyKey[], input: unknown): string[] {
  let node: z.ZodType | undefined = schema;
  let value = input;
  for (const segment of [...path, undefined]) {
    node = unwrap(node, value);
    if (segment === undefined) break;
    if (node instanceof z.ZodObject) node = node.shape[segment as string] as z.ZodType | undefined;
    else if (node instanceof z.ZodArray) node = node.element as z.ZodType;
    else if (node instanceof z.ZodRecord) node = node.valueType as z.ZodType;
    else return [];
    value = valueAt(value, [segment]);
  }
  return node instanceof z.ZodObject ? Object.keys(node.shape) : [];
}

function unwrap(node: z.ZodType | undefined, value: unknown): z.ZodType | undefined {
  let current = node;
  for (;;) {
    if (current instanceof z.ZodDefault || current instanceof z.ZodOptional)
      current = current.unwrap() as z.ZodType;
    else if (current instanceof z.ZodDiscriminatedUnion) current = pickOption(current, value);
    else if (current instanceof z.ZodUnion) current = pickByKeys(current, value);
    else return current;
  }
}

function pickOption(union: z.ZodDiscriminatedUnion, value: unknown): z.ZodType | undefined {
  const discriminator = union.def.discriminator;
  const wanted = valueAt(value, [discriminator]);
  return (union.options as z.ZodType[]).find((option) => {
    if (!(option instanceof z.ZodObject)) return false;
    const literal: unknown = option.shape[discriminator];
    return literal instanceof z.ZodLiteral && literal.values.has(wanted as never);
  });
}

/** The union option a mapping was meant as: an object sharing one of its keys, else a record of such. */
function pickByKeys(union: z.ZodUnion, value: unknown): z.ZodType | undefined {
  const options = union.options as z.ZodType[];
  const keys = value !== null && typeof value === 'object' ? Object.keys(value) : [];
  const object = options.find(
    (option) => option instanceof z.ZodObject && keys.some((key) => key in option.shape),
  );
  return object ?? options.find((option) => option instanceof z.ZodRecord) ?? options[0];
}
