import { PlanRefusedError } from '../errors.js';
import { SavedPlans } from '../state/saved-plans.js';
import type { SyncRunRow } from '../state/state-database.js';
import type { RunContext } from './run-context.js';
import type { AudienceCounts, ChangeCounts } from './sync-report.js';

/** The audience counts a saved plan was made from, as the applying run reports them. */
export type PlanCounts = AudienceCounts & ChangeCounts;

/**
 * Checks that a plan saved with `plan --save` can be applied exactly — it
 * belongs to this sync and cohort, its changes are still stored, and no run
 * changed the snapshot since it was made — and stages its changes, batch
 * numbers included, as this run's changes table. Refuses with the reason
 * and what to do otherwise; nothing is sent then.
 */
export async function stageSavedPlan(run: RunContext, planId: string): Promise<PlanCounts> {
  const { sync } = run;
  const refuse = (reason: string): never => {
    throw new PlanRefusedError(planId, reason);
  };
  const plans = new SavedPlans(run.source, run.env.schema);
  const plan = await plans.find(planId);
  const again = `make a new one with: cohort-sync plan --sync ${sync.name} --save`;
  if (!plan) return refuse(`there is no run with this id in sync_runs; ${again}`);
  if (plan.sync_name !== sync.name) refuse(`it is a plan of sync "${plan.sync_name}", not "${sync.name}"`);
  if (!plan.dry_run || plan.status !== 'succeeded')
    refuse(
      `run ${planId} is not a saved plan (a ${plan.dry_run ? 'dry run' : 'run'} that ${plan.status}); ${again}`,
    );
  if (plan.cohort_id !== sync.cohort_id)
    refuse(
      `it was made for cohort ${plan.cohort_id}, and the config now sends to ${sync.cohort_id}; ${again}`,
    );

  const counts = planCounts(plan);
  const planned = await plans.plannedChanges(planId);
  if (planned !== counts.to_add + counts.to_remove) {
    refuse(
      planned === 0
        ? `its changes were not saved (plan without --save); ${again}`
        : `only ${planned} of its ${counts.to_add + counts.to_remove} changes are still in sync_changes (kept state.retention_days days); ${again}`,
    );
  }
  const moved = await plans.snapshotChangedSince(sync.name, planId, run.runId);
  if (moved) {
    refuse(
      `the snapshot moved since the plan was made: run ${moved.run_id} (${moved.status}, started ${new Date(moved.started_at).toISOString()}) ` +
        `applied +${Number(moved.added)} −${Number(moved.removed)}; ${again}`,
    );
  }
  const conflicts = await plans.conflicts(planId, sync.name);
  if (conflicts > 0) {
    refuse(
      `${conflicts} of its changes no longer fit the snapshot (adds of members it holds or removes of members it lacks); ${again}`,
    );
  }
  await plans.stage(planId, run.tables);
  return counts;
}

function planCounts(plan: SyncRunRow): PlanCounts {
  const n = (value: number | null) => Number(value ?? 0);
  const [rows, none, duplicate, invalid] = [
    plan.query_rows,
    plan.skipped_null,
    plan.skipped_duplicate,
    plan.skipped_invalid,
  ].map(n) as [number, number, number, number];
  return {
    query_rows: rows,
    skipped_null: none,
    skipped_duplicate: duplicate,
    skipped_invalid: invalid,
    skip_reasons: plan.skip_reasons,
    members: rows - none - duplicate - invalid,
    to_add: n(plan.to_add),
    to_remove: n(plan.to_remove),
  };
}
