import { BrazeApiError, type BrazeErrorCode } from '../../errors.js';

/** Headers as undici returns them. */
export type ResponseHeaders = Record<string, string | string[] | undefined>;

/**
 * Maps a non-2xx response to an error with its retry class. 401 messages say
 * which credential Braze rejected and that a wrong instance causes it too.
 */
export function classifyResponse(
  status: number,
  brazeMessage: string,
  headers: ResponseHeaders,
  context: { endpoint: string; partner: string; now?: number },
): BrazeApiError {
  const said = brazeMessage ? `: ${brazeMessage}` : '';
  const make = (code: BrazeErrorCode, message: string, retryable: boolean, retryAfterMs?: number) =>
    new BrazeApiError(message, { code, status, endpoint: context.endpoint, retryable, retryAfterMs });

  if (status === 401)
    return make(
      'BRAZE_UNAUTHORIZED',
      `Braze returned 401${said}. ${authHint(brazeMessage, context.partner)}`,
      false,
    );
  if (status === 400) return make('BRAZE_BAD_REQUEST', `Braze rejected the request (400)${said}`, false);
  const now = context.now ?? Date.now();
  // X-RateLimit-Reset is on every Braze answer and names the end of the (hourly) window: a wait only
  // for a 429. Any other transient answer is retried with backoff (retry-policy.ts), which honours a
  // Retry-After if there is one.
  if (status === 429)
    return make(
      'BRAZE_RATE_LIMITED',
      `Braze rate limit reached (429)${said}`,
      true,
      waitFromHeaders(headers, now),
    );
  if (status === 423)
    return make('BRAZE_LOCKED', `Braze resource locked (423)${said}`, true, retryAfterMs(headers, now));
  if (status === 408)
    return make('BRAZE_TIMEOUT', `Braze request timed out (408)${said}`, true, retryAfterMs(headers, now));
  if (status >= 500)
    return make(
      'BRAZE_SERVER_ERROR',
      `Braze server error (${status})${said}`,
      true,
      retryAfterMs(headers, now),
    );
  return make('BRAZE_UNEXPECTED_STATUS', `unexpected HTTP status ${status} from Braze${said}`, false);
}

function authHint(message: string, partner: string): string {
  const instance =
    'A 401 right after changing braze.rest_endpoint or braze.instance usually means the wrong instance (cluster): use the endpoint of the dashboard your keys come from.';
  if (/partner api key/i.test(message)) {
    return `braze.partner_api_key is not valid for partner "${partner}" on this instance (US and EU clusters use different partner keys). ${instance}`;
  }
  if (/client secret/i.test(message) && /not enabled/i.test(message)) {
    return `braze.data_import_key is not enabled for partner "${partner}": take it from the "${partner}" tile under Partner Integrations → Technology Partners, and check braze.partner. ${instance}`;
  }
  if (/client secret/i.test(message)) {
    return `braze.data_import_key (the Data Import Key) was not recognised. ${instance}`;
  }
  return `Check braze.partner_api_key, braze.data_import_key and braze.partner. ${instance}`;
}

/** The wait of a 429: Retry-After (seconds or HTTP date), else X-RateLimit-Reset (epoch seconds). */
export function waitFromHeaders(headers: ResponseHeaders, now: number): number | undefined {
  const retryAfter = retryAfterMs(headers, now);
  if (retryAfter !== undefined) return retryAfter;
  const reset = Number(first(headers['x-ratelimit-reset']));
  if (Number.isFinite(reset) && reset > 0) return Math.max(0, reset * 1000 - now);
  return undefined;
}

/** Milliseconds a Retry-After header (seconds or HTTP date) asks for, if there is one. */
export function retryAfterMs(headers: ResponseHeaders, now: number): number | undefined {
  const retryAfter = first(headers['retry-after']);
  if (retryAfter === undefined) return undefined;
  const seconds = Number(retryAfter);
  if (retryAfter.trim() !== '' && Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(retryAfter);
  return Number.isFinite(date) ? Math.max(0, date - now) : undefined;
}

function first(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
