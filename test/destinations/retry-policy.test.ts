import { describe, expect, it } from 'vitest';
import {
  classifyResponse,
  type ResponseHeaders,
} from '../../src/destinations/braze-cohort/classify-response.js';
import { DEFAULT_RETRY_POLICY, retryDelayMs } from '../../src/destinations/http/retry-policy.js';

const now = Date.parse('2026-11-23T10:10:00Z');
/** What Braze sends on every answer: the hourly window ends at 11:00, 50 minutes from now. */
const WINDOW: ResponseHeaders = {
  'x-ratelimit-limit': '250000',
  'x-ratelimit-remaining': '249000',
  'x-ratelimit-reset': String(Date.parse('2026-11-23T11:00:00Z') / 1000),
};
const classify = (status: number, headers: ResponseHeaders = WINDOW) =>
  classifyResponse(status, '', headers, { endpoint: '/partners/acme/cohorts/users', partner: 'acme', now });

describe('when to retry a Braze answer, and after how long', () => {
  it('takes X-RateLimit-Reset as a wait only for a 429: a 5xx, 423 or 408 carrying it asks for no wait', () => {
    expect(classify(429)).toMatchObject({
      code: 'BRAZE_RATE_LIMITED',
      retryable: true,
      retryAfterMs: 50 * 60_000,
    });
    for (const status of [500, 502, 503, 504, 423, 408]) {
      expect(classify(status)).toMatchObject({ retryable: true, retryAfterMs: undefined });
    }
  });

  it('honours a Retry-After on any transient answer, in seconds or as an HTTP date', () => {
    expect(classify(503, { ...WINDOW, 'retry-after': '2' }).retryAfterMs).toBe(2000);
    expect(classify(423, { ...WINDOW, 'retry-after': 'Mon, 23 Nov 2026 10:10:07 GMT' }).retryAfterMs).toBe(
      7000,
    );
    expect(classify(429, { ...WINDOW, 'retry-after': '3' }).retryAfterMs).toBe(3000);
    expect(classify(503, { ...WINDOW, 'retry-after': 'soon' }).retryAfterMs).toBeUndefined();
  });

  it('backs off exponentially with jitter between half and all of base·2^(n-1), capped at max_delay_ms, never 0 ms', () => {
    const policy = { ...DEFAULT_RETRY_POLICY, baseDelayMs: 500, maxDelayMs: 30_000 };
    const error = classify(503);
    for (let attempt = 1; attempt <= 10; attempt++) {
      const ceiling = Math.min(30_000, 500 * 2 ** (attempt - 1));
      expect(retryDelayMs(error, attempt, policy, () => 0)).toBe(ceiling / 2);
      expect(retryDelayMs(error, attempt, policy, () => 0.999999)).toBeCloseTo(ceiling, -1);
    }
    // Even a zero base waits a millisecond rather than hammering Braze.
    expect(retryDelayMs(error, 1, { ...policy, baseDelayMs: 0 }, () => 0)).toBe(1);
  });

  it('caps a Retry-After of a 5xx or 423 at max_delay_ms, and never waits less than the backoff (a Retry-After of 0 included)', () => {
    const policy = { ...DEFAULT_RETRY_POLICY, baseDelayMs: 500, maxDelayMs: 30_000 };
    expect(retryDelayMs(classify(503, { 'retry-after': '120' }), 1, policy, () => 0)).toBe(30_000);
    expect(retryDelayMs(classify(423, { 'retry-after': '2' }), 1, policy, () => 0)).toBe(2000);
    expect(retryDelayMs(classify(503, { 'retry-after': '0' }), 1, policy, () => 0)).toBe(250);
    expect(retryDelayMs(classify(503, { 'retry-after': '1' }), 5, policy, () => 0)).toBe(4000);
  });

  it('waits a 429 out however long Braze asks, and never 0 ms when it asks for nothing', () => {
    const policy = { ...DEFAULT_RETRY_POLICY, baseDelayMs: 500, maxDelayMs: 30_000 };
    expect(retryDelayMs(classify(429), 1, policy, () => 0)).toBe(50 * 60_000);
    expect(retryDelayMs(classify(429, { 'retry-after': '0' }), 1, policy, () => 0)).toBe(250);
    expect(retryDelayMs(classify(429, {}), 2, policy, () => 0)).toBe(500);
  });
});
