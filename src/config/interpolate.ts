import type { ConfigIssue } from '../errors.js';
import { formatPath, type PathSegment } from './path.js';

/** `${VAR}`, or `$${VAR}`: the escape for a literal `${VAR}`. */
const REFERENCE = /\$(\$?)\{([A-Za-z_][A-Za-z0-9_]*)\}/g;
const WHOLE_REFERENCE = /^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$/;

export interface Interpolated {
  value: unknown;
  /** Path → the raw string before interpolation, for every string that held a reference. */
  references: Map<string, string>;
  issues: ConfigIssue[];
}

/** Replaces `${VAR}` in every string of a parsed YAML tree with the environment's value; `$${VAR}` stays `${VAR}`. */
export function interpolate(tree: unknown, env: NodeJS.ProcessEnv): Interpolated {
  const references = new Map<string, string>();
  const issues: ConfigIssue[] = [];

  const visit = (node: unknown, path: PathSegment[]): unknown => {
    if (typeof node === 'string') return replace(node, path);
    if (Array.isArray(node)) return node.map((item, index) => visit(item, [...path, index]));
    if (node !== null && typeof node === 'object') {
      return Object.fromEntries(
        Object.entries(node).map(([key, item]) => [key, visit(item, [...path, key])]),
      );
    }
    return node;
  };

  const replace = (text: string, path: PathSegment[]): string => {
    if (!text.includes('${')) return text;
    references.set(formatPath(path), text);
    const whole = wholeReference(text);
    if (whole !== undefined && env[whole] === '') {
      // Usually an export that went wrong (`export KEY=$UNSET`); say so rather than "must be non-empty".
      issues.push({ path: formatPath(path), message: `environment variable ${whole} is set but empty` });
      return '';
    }
    return text.replace(REFERENCE, (_match, escaped: string, name: string) => {
      if (escaped) return `\${${name}}`;
      const value = env[name];
      if (value === undefined) {
        issues.push({ path: formatPath(path), message: `environment variable ${name} is not set` });
        return '';
      }
      return value;
    });
  };

  return { value: visit(tree, []), references, issues };
}

/** The variable name when `raw` is exactly one `${VAR}` reference. */
export function wholeReference(raw: string | undefined): string | undefined {
  return raw === undefined ? undefined : WHOLE_REFERENCE.exec(raw)?.[1];
}
