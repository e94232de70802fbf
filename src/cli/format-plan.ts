import { terminalText } from '../log/terminal-text.js';
import type { PlanMember, SyncPlan } from './plan-document.js';

/** The plan of one sync in words: what a run would do, and whether a guardrail would stop it. */
export function formatPlan(plan: SyncPlan): string {
  const { query, changes, cohort } = plan;
  const lines = [
    `sync ${plan.sync} → cohort ${cohort.id} ("${cohort.name}")`,
    `  query rows        ${query.rows}`,
    `  skipped           ${query.skipped.no_identifier} with no identifier, ${query.skipped.duplicate} duplicate, ${query.skipped.invalid} invalid`,
  ];
  for (const [reason, rows] of Object.entries(query.skipped.invalid_reasons))
    lines.push(`                      ${rows} ${reason}`);
  lines.push(
    `  members           ${query.members} (cohort holds ${cohort.size_now} now)`,
    `  to add            ${changes.add}`,
    `  to remove         ${changes.remove}`,
    `  cohort after run  ${cohort.size_after}`,
    `  Braze requests    ${plan.braze.requests} membership request(s), ${plan.braze.data_points} data point(s)`,
  );
  if (plan.verdict === 'guardrail')
    lines.push(`  GUARDRAIL         a run would stop: ${plan.guardrail.reason}`);
  else if (plan.verdict === 'failed') lines.push(`  ERROR             ${plan.error}`);
  if (plan.samples) {
    lines.push(`  sample adds       ${plan.samples.add.map(describeMember).join(', ') || '(none)'}`);
    lines.push(`  sample removes    ${plan.samples.remove.map(describeMember).join(', ') || '(none)'}`);
  }
  if (plan.plan_id)
    lines.push(
      `  saved as plan     ${plan.plan_id}`,
      `                    apply exactly this with: cohort-sync run --plan-id ${plan.plan_id}`,
    );
  return lines.join('\n');
}

/** A sampled member on one line: a newline or an escape sequence in an id is shown, not obeyed. */
function describeMember(member: PlanMember): string {
  const text =
    member.id_type === 'alias'
      ? `alias:${member.alias_label}:${member.id}`
      : `${member.id_type}:${member.id}`;
  return terminalText(text, { newlines: false });
}
