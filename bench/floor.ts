/**
 * The floor the bench compares cohort-sync against: a bare program with no
 * state, no audit and no retries that streams one query result out of DuckDB
 * and posts it to the cohort API in requests of 1,000 ids, with the same
 * number of requests in flight as the CLI. It imports nothing of ours.
 *
 * Usage: node floor.js (--duckdb FILE | --postgres URL) --query SQL [--url URL --partner P --cohort ID --concurrency N]
 * The query returns (op, id) rows, op being 'add' or 'remove'. Without --url it only streams the
 * result (the warehouse's own cost). Keys come from $BRAZE_PARTNER_API_KEY and $BRAZE_DATA_IMPORT_KEY.
 * Prints one JSON line: { rows, requests }.
 */
import { parseArgs } from 'node:util';
import { DuckDBInstance } from '@duckdb/node-api';
import pg from 'pg';
import Cursor from 'pg-cursor';
import { Agent, request } from 'undici';

const { values } = parseArgs({
  options: {
    duckdb: { type: 'string' },
    postgres: { type: 'string' },
    query: { type: 'string' },
    url: { type: 'string' },
    partner: { type: 'string', default: 'bench' },
    cohort: { type: 'string', default: 'floor' },
    concurrency: { type: 'string', default: '4' },
  },
});
const query = values.query;
if ((!values.duckdb && !values.postgres) || !query)
  throw new Error('--duckdb or --postgres, and --query, are required');

/** The query result in chunks of rows, as each warehouse's client hands them over. */
async function* duckdbRows(file: string): AsyncIterable<unknown[][]> {
  const instance = await DuckDBInstance.create(file);
  const connection = await instance.connect();
  try {
    const result = await connection.stream(query!);
    for (;;) {
      const chunk = await result.fetchChunk();
      if (chunk === null || chunk.rowCount === 0) return;
      yield chunk.getRows();
    }
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

async function* postgresRows(url: string): AsyncIterable<unknown[][]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const cursor = client.query(new Cursor<unknown[]>(query!, [], { rowMode: 'array' }));
    for (;;) {
      const rows = await cursor.read(2048);
      if (rows.length === 0) break;
      yield rows;
    }
    await cursor.close();
  } finally {
    await client.end();
  }
}
const agent = new Agent({ keepAliveTimeout: 30_000, connections: 64 });
const keys = {
  partner_api_key: process.env.BRAZE_PARTNER_API_KEY ?? '',
  client_secret: process.env.BRAZE_DATA_IMPORT_KEY ?? '',
};
const concurrency = Number(values.concurrency);
const inFlight = new Set<Promise<void>>();
let requests = 0;

async function post(path: string, body: object): Promise<void> {
  requests++;
  const response = await request(`${values.url}/partners/${values.partner}${path}`, {
    method: 'POST',
    body: JSON.stringify(body),
    headers: { 'content-type': 'application/json' },
    dispatcher: agent,
  });
  await response.body.dump();
  if (response.statusCode >= 300) throw new Error(`HTTP ${response.statusCode}`);
}

async function send(adds: string[], removes: string[]): Promise<void> {
  if (!values.url) return;
  const cohort_changes: object[] = [];
  if (adds.length > 0) cohort_changes.push({ user_ids: adds });
  if (removes.length > 0) cohort_changes.push({ user_ids: removes, should_remove: true });
  while (inFlight.size >= concurrency) await Promise.race(inFlight);
  const task = post('/cohorts/users', { ...keys, cohort_id: values.cohort, cohort_changes }).finally(() =>
    inFlight.delete(task),
  );
  inFlight.add(task);
}

if (values.url)
  await post('/cohorts', {
    ...keys,
    cohort_id: values.cohort,
    name: 'floor',
    created_at: new Date().toISOString(),
  });

let rows = 0;
let adds: string[] = [];
let removes: string[] = [];
for await (const chunk of values.duckdb ? duckdbRows(values.duckdb) : postgresRows(values.postgres!)) {
  for (const [op, id] of chunk) {
    (op === 'remove' ? removes : adds).push(id as string);
    if (adds.length + removes.length === 1000) {
      await send(adds, removes);
      adds = [];
      removes = [];
    }
  }
  rows += chunk.length;
}
if (adds.length + removes.length > 0) await send(adds, removes);
await Promise.all(inFlight);
await agent.close();
process.stdout.write(`${JSON.stringify({ rows, requests })}\n`);
