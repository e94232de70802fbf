import type { Dispatcher } from 'undici';
import type { BrazeConfig } from '../../config/types.js';
import type { Logger } from '../../log/logger.js';
import { BrazeClient } from './braze-cohort-client.js';

/**
 * A client for the configured Braze endpoint, with the configured retry policy;
 * `dispatcher` shares a connection pool (and budget) between clients.
 */
export function createBrazeClient(
  braze: BrazeConfig,
  options: { logger: Logger; signal?: AbortSignal; dispatcher?: Dispatcher },
): BrazeClient {
  return new BrazeClient({
    endpoint: braze.rest_endpoint,
    partner: braze.partner,
    partnerApiKey: braze.partner_api_key,
    dataImportKey: braze.data_import_key,
    timeoutMs: braze.timeout_seconds * 1000,
    retry: {
      maxAttempts: braze.retry.max_attempts,
      maxElapsedMs: braze.retry.max_elapsed_seconds * 1000,
      baseDelayMs: braze.retry.base_delay_ms,
      maxDelayMs: braze.retry.max_delay_ms,
    },
    signal: options.signal,
    dispatcher: options.dispatcher,
    onRetry: (error, delayMs) =>
      options.logger.warn(`${error.message}; retrying in ${Math.round(delayMs)} ms`),
  });
}
