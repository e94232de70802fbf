import type { z } from 'zod';
import type { brazeSchema } from './schema.js';
import type { RawConfig } from './schema.js';

type RawBraze = z.output<typeof brazeSchema>;

/** The target name of the single-target form (`braze: { partner: …, … }`). */
export const DEFAULT_BRAZE_TARGET = 'default';

/** One Braze target as written in the file, with its config path for messages. */
export interface RawBrazeTarget {
  name: string;
  /** `braze` for the single-target form, `braze.<name>` for a named target. */
  path: string;
  braze: RawBraze;
}

/** Whether `braze` is the single-target form: it has the target keys itself. */
export function isSingleTarget(braze: RawConfig['braze']): braze is RawBraze {
  return typeof (braze as { partner?: unknown }).partner === 'string';
}

/** Every Braze target of a parsed config, in file order; the single form is one target named `default`. */
export function rawBrazeTargets(config: Pick<RawConfig, 'braze'>): RawBrazeTarget[] {
  const { braze } = config;
  if (isSingleTarget(braze)) return [{ name: DEFAULT_BRAZE_TARGET, path: 'braze', braze }];
  return Object.entries(braze).map(([name, target]) => ({ name, path: `braze.${name}`, braze: target }));
}
