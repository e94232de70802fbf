import { sql, type RawBuilder } from 'kysely';
import type { SqlCapabilities } from '../sources/source.js';

/** Names of the per-run stage tables; derived from the run id alone so that a later run can drop a dead run's leftovers. */
export interface StageTables {
  /** Where they live: the state schema, or what the warehouse's `stageSchema` capability says. */
  schema: string;
  /** Normalised query result: one row per distinct identity, with its row count and verdict. */
  members: `stage_${string}_members`;
  /** The run's changes (adds and removes), numbered into batches. */
  changes: ChangesStageTable;
  /** Scratch copy of the first changes while `run --limit` cuts the changes table down. */
  limited: `stage_${string}_limited`;
}

export type ChangesStageTable = `stage_${string}_changes`;

/** How a member is identified: see DESIGN.md, "Identity". */
export type IdType = 'external_id' | 'device_id' | 'alias';
export type ChangeOp = 'add' | 'remove';

/** One change of a run: a member to add to the destination or remove from it. */
export interface MemberChange {
  op: ChangeOp;
  id_type: IdType;
  id: string;
  /** '' unless id_type is `alias`. */
  alias_label: string;
}

/** A row of a run's changes stage table (stageChangesStatement): one change, in its batch. */
export interface ChangesStageRow extends MemberChange {
  batch: number;
}

/**
 * The changes stage table of any run, schema-qualified, for kysely's table types: statements that read
 * it next to the state tables (the snapshot apply, the change log) are typed through this.
 */
export type StageDatabase = { [table in `${string}.${ChangesStageTable}`]: ChangesStageRow };

export function stageTables(runId: string, schema: string): StageTables {
  const key = runId
    .replace(/[^a-zA-Z0-9]/g, '')
    .slice(0, 20)
    .toLowerCase();
  return {
    schema,
    members: `stage_${key}_members`,
    changes: `stage_${key}_changes`,
    limited: `stage_${key}_limited`,
  };
}

/** The schema a run's stage tables go in: the state schema unless the warehouse keeps them elsewhere. */
export function stageSchemaFor(caps: SqlCapabilities, stateSchema: string): string {
  return caps.stageSchema?.(stateSchema) ?? stateSchema;
}

/** Qualified `schema.table` for Kysely references. */
export function qualified<Table extends string>(schema: string, table: Table): `${string}.${Table}` {
  return `${schema}.${table}`;
}

/** `CREATE TABLE schema.table AS select`, in the warehouse's flavour for stage tables. */
export function createStageTable(
  caps: SqlCapabilities,
  schema: string,
  table: string,
  select: RawBuilder<unknown>,
): RawBuilder<unknown> {
  const name = sql.table(qualified(schema, table));
  return caps.createStageTable
    ? caps.createStageTable(name, select)
    : sql`CREATE TABLE ${name} AS\n${select}`;
}
