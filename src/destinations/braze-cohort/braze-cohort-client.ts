import { Agent, errors as undiciErrors, request, type Dispatcher } from 'undici';
import { BrazeApiError } from '../../errors.js';
import { classifyResponse } from './classify-response.js';
import { DEFAULT_RETRY_POLICY, withRetry, type RetryPolicy } from '../http/retry-policy.js';
import {
  cohortsPath,
  cohortUsersPath,
  type CohortBody,
  type CohortUsersRequest,
  type UpsertCohortRequest,
} from './wire-types.js';

export interface BrazeClientOptions {
  /** REST endpoint, e.g. https://rest.iad-01.braze.com, or the emulator's URL. */
  endpoint: string;
  partner: string;
  partnerApiKey: string;
  dataImportKey: string;
  retry?: RetryPolicy;
  /** Timeout for one HTTP request. Default 30 s. */
  timeoutMs?: number;
  /** Connection pool; by default a keep-alive Agent owned by the client. */
  dispatcher?: Dispatcher;
  /** Cancels backoff waits (not requests in flight) when a run is being stopped. */
  signal?: AbortSignal;
  onRetry?: (error: BrazeApiError, delayMs: number) => void;
}

/** How a call went: it succeeded after this many retries. */
export interface SendResult {
  retries: number;
}

/**
 * The Braze cohort import API client: the only HTTP code of the cohort destination.
 * Success is any 2xx; errors are classified once (classify-response.ts) and
 * retried by one policy (retry-policy.ts). Error messages never include the
 * request body, which carries the keys.
 */
export class BrazeClient {
  private readonly dispatcher: Dispatcher;
  private readonly ownsDispatcher: boolean;
  private readonly retry: RetryPolicy;
  private readonly timeoutMs: number;

  constructor(private readonly options: BrazeClientOptions) {
    this.ownsDispatcher = options.dispatcher === undefined;
    this.dispatcher = options.dispatcher ?? new Agent({ keepAliveTimeout: 30_000, connections: 64 });
    this.retry = options.retry ?? DEFAULT_RETRY_POLICY;
    this.timeoutMs = options.timeoutMs ?? 30_000;
  }

  /** Creates the cohort, or renames it; harmless to repeat. */
  upsertCohort(cohort: { id: string; name: string; createdAt: Date }): Promise<SendResult> {
    const body: UpsertCohortRequest = {
      ...this.credentials(),
      cohort_id: cohort.id,
      name: cohort.name,
      created_at: cohort.createdAt.toISOString(),
    };
    return this.post(cohortsPath(this.options.partner), body);
  }

  /**
   * Sends one request of membership changes (at most 1,000 identifiers in all), given as entries or as
   * the `cohort_changes` array already serialised, which goes into the body without being parsed.
   */
  sendChanges(cohortId: string, changes: CohortBody): Promise<SendResult> {
    const path = cohortUsersPath(this.options.partner);
    if (!Array.isArray(changes)) {
      const head = JSON.stringify({ ...this.credentials(), cohort_id: cohortId }).slice(0, -1);
      return this.send(path, `${head},"cohort_changes":${changes.json}}`);
    }
    const body: CohortUsersRequest = { ...this.credentials(), cohort_id: cohortId, cohort_changes: changes };
    return this.post(path, body);
  }

  async close(): Promise<void> {
    if (this.ownsDispatcher) await this.dispatcher.close();
  }

  private credentials() {
    return { partner_api_key: this.options.partnerApiKey, client_secret: this.options.dataImportKey };
  }

  private post(path: string, body: object): Promise<SendResult> {
    return this.send(path, JSON.stringify(body));
  }

  private async send(path: string, payload: string): Promise<SendResult> {
    const outcome = await withRetry(() => this.attempt(path, payload), this.retry, {
      signal: this.options.signal,
      onRetry: this.options.onRetry,
    });
    return { retries: outcome.retries };
  }

  private async attempt(path: string, payload: string): Promise<void> {
    const url = this.options.endpoint + path;
    let response: Dispatcher.ResponseData;
    try {
      response = await request(url, {
        method: 'POST',
        body: payload,
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        dispatcher: this.dispatcher,
        headersTimeout: this.timeoutMs,
        bodyTimeout: this.timeoutMs,
      });
    } catch (error) {
      throw networkError(error, path, this.options.endpoint);
    }
    if (response.statusCode >= 200 && response.statusCode < 300) {
      await response.body.dump();
      return;
    }
    const message = this.redact(await readMessage(response));
    throw classifyResponse(response.statusCode, message, response.headers, {
      endpoint: path,
      partner: this.options.partner,
    });
  }

  /** Braze may echo a key in its message ("… with client secret: …"); never let it reach a log. */
  private redact(message: string): string {
    let safe = message;
    for (const secret of [this.options.partnerApiKey, this.options.dataImportKey]) {
      if (secret) safe = safe.split(secret).join('[redacted]');
    }
    return safe;
  }
}

async function readMessage(response: Dispatcher.ResponseData): Promise<string> {
  try {
    const text = await response.body.text();
    try {
      const parsed = JSON.parse(text) as { message?: unknown; errors?: unknown };
      if (typeof parsed.message === 'string') return parsed.message.slice(0, 500);
    } catch {
      // not JSON: a proxy or load balancer page; show its start
    }
    return text.replace(/\s+/g, ' ').trim().slice(0, 200);
  } catch {
    return '';
  }
}

function networkError(error: unknown, path: string, endpoint: string): BrazeApiError {
  const code = (error as { code?: string }).code ?? '';
  const timeout =
    error instanceof undiciErrors.HeadersTimeoutError ||
    error instanceof undiciErrors.BodyTimeoutError ||
    error instanceof undiciErrors.ConnectTimeoutError;
  const detail = error instanceof Error ? error.message : String(error);
  return new BrazeApiError(
    timeout
      ? `no answer from Braze at ${endpoint} in time (${code || detail})`
      : `connection to Braze at ${endpoint} failed (${code || detail})`,
    { code: timeout ? 'BRAZE_TIMEOUT' : 'BRAZE_NETWORK', endpoint: path, retryable: true, cause: error },
  );
}
