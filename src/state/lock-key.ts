import { createHash } from 'node:crypto';

/**
 * A stable signed 64-bit key for a named advisory lock, as a decimal string: the first 8 bytes of
 * SHA-256 of `cohort-sync:<name>`. Every process and every version of cohort-sync derives the same key.
 */
export function lockKey(name: string): string {
  const digest = createHash('sha256').update(`cohort-sync:${name}`).digest();
  return digest.readBigInt64BE(0).toString();
}
