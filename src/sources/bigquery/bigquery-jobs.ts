import { randomUUID } from 'node:crypto';
import { recordQueryUsage } from '../query-usage.js';
import { toParameter, type BigQueryField } from './bigquery-values.js';

/** One REST call through the SDK: its auth, retries, endpoint and error parsing. */
export interface BigQueryRequest {
  method?: 'GET' | 'POST';
  /** Path under `/projects/{project}`, e.g. `/queries`. */
  uri: string;
  json?: unknown;
  qs?: Record<string, string | number | boolean>;
}

/** The subset of the SDK's BigQuery client that cohort-sync uses: `request` (Service#request), promisified. */
export type BigQueryApi = (request: BigQueryRequest) => Promise<unknown>;

/** One page of a result, as the REST API returns it. */
export interface ResultPage {
  fields: BigQueryField[];
  /** Rows as `{ f: [{ v }] }`, in select-list order. */
  rows: unknown[];
}

export interface JobSettings {
  location: string;
  maximumBytesBilled?: number;
  jobTimeoutMs?: number;
}

export interface QueryOptions {
  /** Rows per page; BigQuery also caps a page at about 10 MB. */
  maxResults?: number;
  /** Run in this session (its transaction, if one is open). */
  sessionId?: string;
  /** Open a session with this query; its id is passed to `onSession`. */
  onSession?: (sessionId: string) => void;
}

/** A dry run's findings: `statistics.query.statementType` and `.schema` of the job. */
export interface DryRun {
  /** Absent only if BigQuery reported none. */
  statementType: string | undefined;
  fields: BigQueryField[];
}

/** Positional parameters (`?`) in order, or named ones (`@name`) by name. */
export type Parameters = readonly unknown[] | Readonly<Record<string, unknown>>;

function queryParameters(parameters: Parameters) {
  if (Array.isArray(parameters))
    return parameters.length > 0
      ? { parameterMode: 'POSITIONAL', queryParameters: parameters.map(toParameter) }
      : {};
  const named = Object.entries(parameters);
  return named.length > 0
    ? {
        parameterMode: 'NAMED',
        queryParameters: named.map(([name, value]) => ({ name, ...toParameter(value) })),
      }
    : {};
}

/** How long one jobs.query or getQueryResults call waits on the server for the job to finish. */
const WAIT_MS = 10_000;

interface QueryResponse {
  jobReference?: { jobId: string; location?: string };
  jobComplete?: boolean;
  schema?: { fields?: BigQueryField[] };
  rows?: unknown[];
  pageToken?: string;
  totalBytesProcessed?: string;
  totalBytesBilled?: string;
  sessionInfo?: { sessionId?: string };
}

interface JobResource {
  statistics?: { totalBytesProcessed?: string; query?: { totalBytesBilled?: string } };
}

/**
 * Runs statements as BigQuery query jobs through jobs.query, then polls and pages with
 * jobs.getQueryResults (`GET /queries/{jobId}`) until the job completes and the last page is read —
 * what the SDK's query() and createQueryStream() do, with the rows left raw so that INT64 stays exact
 * and each page is yielded as it arrives. A job that outlives `jobTimeoutMs` is cancelled.
 */
export class BigQueryJobs {
  constructor(
    private readonly api: BigQueryApi,
    private readonly settings: JobSettings,
  ) {}

  async *pages(sql: string, parameters: Parameters, options: QueryOptions = {}): AsyncGenerator<ResultPage> {
    const deadline =
      this.settings.jobTimeoutMs === undefined ? undefined : Date.now() + this.settings.jobTimeoutMs;
    let response = (await this.api({
      method: 'POST',
      uri: '/queries',
      json: this.queryRequest(sql, parameters, options),
    })) as QueryResponse;
    const first = response;
    const sessionId = response.sessionInfo?.sessionId;
    if (sessionId !== undefined) options.onSession?.(sessionId);
    const job = response.jobReference;
    const completedAtOnce = response.jobComplete === true;
    for (;;) {
      if (response.jobComplete === true) {
        const fields = response.schema?.fields ?? [];
        if (response.rows && response.rows.length > 0) yield { fields, rows: response.rows };
        if (!response.pageToken || !job) break;
      } else if (!job) {
        throw new Error('BigQuery answered an unfinished query without a job reference');
      } else if (deadline !== undefined && Date.now() > deadline) {
        await this.cancel(job.jobId, job.location);
        throw new Error(
          `Job ${job.jobId} timed out: did not complete before ${this.settings.jobTimeoutMs} ms; cancelled`,
        );
      }
      response = await this.results(job.jobId, job.location, response, options.maxResults);
    }
    if (job) await this.recordUsage(job.jobId, job.location, completedAtOnce ? first : undefined);
  }

  /** Runs a statement and returns every row: for statements with small results. */
  async run(sql: string, parameters: Parameters, options: QueryOptions = {}): Promise<ResultPage> {
    const result: ResultPage = { fields: [], rows: [] };
    for await (const page of this.pages(sql, parameters, options)) {
      result.fields = page.fields;
      result.rows.push(...page.rows);
    }
    return result;
  }

  /**
   * What BigQuery makes of a query without running it, from a dry run (it reads nothing and bills nothing):
   * its statement type (`SELECT`, `INSERT`, `SCRIPT` for several statements, …) and its result columns.
   */
  async dryRun(sql: string): Promise<DryRun> {
    const job = (await this.api({
      method: 'POST',
      uri: '/jobs',
      json: {
        configuration: { dryRun: true, query: { query: sql, useLegacySql: false } },
        jobReference: { location: this.settings.location },
      },
    })) as { statistics?: { query?: { statementType?: string; schema?: { fields?: BigQueryField[] } } } };
    const query = job.statistics?.query;
    return { statementType: query?.statementType, fields: query?.schema?.fields ?? [] };
  }

  private queryRequest(sql: string, parameters: Parameters, options: QueryOptions) {
    const { location, maximumBytesBilled, jobTimeoutMs } = this.settings;
    return {
      query: sql,
      useLegacySql: false,
      location,
      requestId: randomUUID(),
      timeoutMs: WAIT_MS,
      maxResults: options.maxResults,
      formatOptions: { useInt64Timestamp: true },
      ...queryParameters(parameters),
      ...(maximumBytesBilled !== undefined ? { maximumBytesBilled: String(maximumBytesBilled) } : {}),
      ...(jobTimeoutMs !== undefined ? { jobTimeoutMs: String(jobTimeoutMs) } : {}),
      ...(options.onSession ? { createSession: true } : {}),
      ...(options.sessionId !== undefined
        ? { connectionProperties: [{ key: 'session_id', value: options.sessionId }] }
        : {}),
    };
  }

  private async results(
    jobId: string,
    location: string | undefined,
    previous: QueryResponse,
    maxResults: number | undefined,
  ): Promise<QueryResponse> {
    const qs: Record<string, string | number | boolean> = {
      location: location ?? this.settings.location,
      timeoutMs: WAIT_MS,
      'formatOptions.useInt64Timestamp': true,
    };
    if (maxResults !== undefined) qs.maxResults = maxResults;
    if (previous.jobComplete === true && previous.pageToken) qs.pageToken = previous.pageToken;
    return (await this.api({ uri: `/queries/${encodeURIComponent(jobId)}`, qs })) as QueryResponse;
  }

  /**
   * Bytes of a finished job for the run's meter: jobs.query reports both figures when it completes the job
   * at once; getQueryResults has no billed bytes, so then the job resource (jobs.get) is read.
   */
  private async recordUsage(
    jobId: string,
    location: string | undefined,
    completed: QueryResponse | undefined,
  ): Promise<void> {
    if (completed?.totalBytesBilled !== undefined) {
      recordQueryUsage(Number(completed.totalBytesProcessed ?? 0), Number(completed.totalBytesBilled));
      return;
    }
    const job = (await this.api({
      uri: `/jobs/${encodeURIComponent(jobId)}`,
      qs: { location: location ?? this.settings.location },
    })) as JobResource;
    recordQueryUsage(
      Number(job.statistics?.totalBytesProcessed ?? 0),
      Number(job.statistics?.query?.totalBytesBilled ?? 0),
    );
  }

  private async cancel(jobId: string, location: string | undefined): Promise<void> {
    await this.api({
      method: 'POST',
      uri: `/jobs/${encodeURIComponent(jobId)}/cancel`,
      qs: { location: location ?? this.settings.location },
    }).catch(() => undefined); // the timeout is what the caller must hear about
  }
}
