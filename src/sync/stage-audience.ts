import type { CompiledQuery } from 'kysely';
import { resolveIdentifierColumns, unusableIdentifierColumn } from '../diff/identifier-columns.js';
import {
  SKIP_VERDICTS,
  stageCountsQuery,
  stageMembersStatement,
  type Verdict,
} from '../diff/stage-statements.js';
import type { DeliveryTarget } from '../destinations/destination.js';
import { WarehouseError } from '../errors.js';
import { clearSnapshotStatement, snapshotSizeQuery } from '../state/snapshot-statements.js';
import { queryOrigin, type RunContext } from './run-context.js';
import { NO_AUDIENCE, type AudienceCounts } from './sync-report.js';

/** What the snapshot says before the run changes anything. */
export interface SnapshotBefore {
  /** The target this sync last delivered to, if any run got that far. */
  lastDelivered: DeliveryTarget | undefined;
  /** The target changed since: it starts empty, and the run diffs against nothing. */
  newTarget: boolean;
  /** Members the snapshot holds for the current target. */
  size: number;
}

/**
 * Stage the audience: run the user's query once, normalised into the members stage table in the
 * warehouse, and account for every row it returned (invariant 4). Identifier columns are checked first,
 * so a query without one, or with a BOOLEAN external_id, fails before anything is staged.
 */
export async function stageAudience(run: RunContext): Promise<AudienceCounts> {
  const { source, sync } = run;
  const described = await run.inWarehouse('reading the query columns', () =>
    source.describeColumns(sync.query),
  );
  const resolved = resolveIdentifierColumns(
    described.map((column) => column.name),
    sync.identifiers,
  );
  const problem = resolved.ok
    ? unusableIdentifierColumn(described, resolved.columns, source.capabilities.textType)
    : resolved.message;
  if (problem !== undefined || !resolved.ok)
    throw new WarehouseError(`sync "${sync.name}"${queryOrigin(sync)}: ${problem}`, {
      code: 'QUERY_COLUMNS',
      sync: sync.name,
      queryFile: sync.query_file,
    });

  run.log.info('staging query result');
  const members = { db: source.db, caps: source.capabilities, schema: run.tables.schema };
  const table = run.tables.members;
  await run.inWarehouse('staging the query result', () =>
    createStage(
      run,
      stageMembersStatement({ ...members, table, userSql: sync.query, columns: resolved.columns, described }),
    ),
  );
  return audienceCounts(
    await source.execute<{ verdict: Verdict; rows: number; identities: number }>(
      stageCountsQuery({ ...members, table }),
    ),
  );
}

/**
 * Where the snapshot stands. A changed cohort_id starts a new, empty cohort in Braze, and the old
 * snapshot describes the old one: it is forgotten (not in a dry run, which changes nothing).
 */
export async function snapshotBefore(run: RunContext): Promise<SnapshotBefore> {
  const { source, sync } = run;
  const last = await run.audit.lastDeliveredCohort(sync.name);
  const lastDelivered = last && { id: last.cohort_id, name: last.cohort_name };
  const { target } = run.env.destination;
  const newTarget = lastDelivered !== undefined && lastDelivered.id !== target.id;
  const snapshot = { db: source.db, schema: run.env.schema, syncName: sync.name };
  if (newTarget) {
    run.log.warn(
      `cohort_id changed from ${lastDelivered.id} to ${target.id}: the new cohort starts empty; ${lastDelivered.id} is left as it is in Braze`,
    );
    if (!run.dryRun) await source.execute(clearSnapshotStatement(snapshot));
  }
  const [counted] = await source.execute(snapshotSizeQuery(snapshot));
  return { lastDelivered, newTarget, size: newTarget ? 0 : Number(counted?.members ?? 0) };
}

/**
 * Creates a stage table inside a transaction where the warehouse allows DDL in one: if this process dies
 * while the statement runs, the server rolls the table back when it finds the client gone, instead of
 * committing it afterwards as a leftover no later run knows to drop.
 */
export async function createStage(run: RunContext, statement: CompiledQuery): Promise<void> {
  const { source } = run;
  if (source.capabilities.transactionalDdl) await source.transaction((tx) => tx.execute(statement));
  else await source.execute(statement);
}

function audienceCounts(rows: { verdict: Verdict; rows: number; identities: number }[]): AudienceCounts {
  const counts: AudienceCounts = { ...NO_AUDIENCE };
  const reasons: string[] = [];
  for (const row of rows) {
    const count = Number(row.rows);
    counts.query_rows += count;
    if (row.verdict === 'valid') {
      counts.members = Number(row.identities);
      counts.skipped_duplicate = count - Number(row.identities);
    } else if (row.verdict === 'null') {
      counts.skipped_null = count;
    } else {
      counts.skipped_invalid += count;
      reasons.push(`${SKIP_VERDICTS[row.verdict]}: ${count}`);
    }
  }
  counts.skip_reasons = reasons.length > 0 ? reasons.sort().join('; ') : null;
  return counts;
}
