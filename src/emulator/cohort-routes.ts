import type {
  CohortChange,
  CohortUsersRequest,
  UpsertCohortRequest,
} from '../destinations/braze-cohort/wire-types.js';
import type { EmulatorState } from './emulator-state.js';
import type { FaultInjector } from './faults.js';
import { parseJsonObject } from './read-body.js';
import type { ApiRoute, Outcome } from './serve-api-request.js';
import { MESSAGES, validateCohortUsers, validateUpsertCohort } from './validate-request.js';
import type { Workspace } from './workspace.js';

/**
 * Routes A and B of ../shared/braze-cohort-api.md: `POST /partners/{partner}/cohorts` (create or
 * rename) and `POST /partners/{partner}/cohorts/users` (membership). One budget for both routes and
 * every workspace: Braze does not say whether it is per partner key, per customer or per cluster.
 */
export function cohortRoute(
  state: EmulatorState,
  partner: string,
  membership: boolean,
  path: string,
): ApiRoute {
  return {
    budget: 'cohorts',
    scope: '',
    membership,
    answer: (raw) => answerCohortRequest(state, { partner, membership, path }, raw),
  };
}

function answerCohortRequest(
  state: EmulatorState,
  route: { partner: string; membership: boolean; path: string },
  raw: Buffer,
): Outcome {
  const fail = (status: number, message: string, workspace?: string, cohort_id?: string): Outcome => ({
    status,
    body: { message },
    record: { workspace, cohort_id, adds: 0, removes: 0, ignored: 0 },
  });
  const body = parseJsonObject(raw);
  if (!body) return fail(400, 'Invalid JSON in request body');
  // The order of these checks is the emulator's choice: Braze documents the messages, not their order.
  const auth = authenticate(state, route.partner, body);
  if (typeof auth === 'string') return fail(401, auth);
  const invalid = route.membership ? validateCohortUsers(body) : validateUpsertCohort(body);
  if (invalid) return fail(400, invalid, auth.name);

  if (!route.membership) {
    const request = body as unknown as UpsertCohortRequest;
    auth.upsertCohort(route.partner, request);
    return success(auth.name, request.cohort_id, { adds: 0, removes: 0, ignored: 0 });
  }
  const request = body as unknown as CohortUsersRequest;
  if (request.cohort_changes.some((change) => refusesAny(state.faults, change)))
    return fail(400, MESSAGES.cohortChanges, auth.name, request.cohort_id);
  const cohort = auth.cohorts.get(request.cohort_id);
  // Segment checks credentials with an empty cohort_changes for a cohort it never created: Braze accepts it.
  if (!cohort && request.cohort_changes.length === 0)
    return success(auth.name, request.cohort_id, { adds: 0, removes: 0, ignored: 0 });
  if (!cohort) {
    // Not documented by Braze; the emulator's choice: membership writes need the cohort created first.
    const create = route.path.replace(/\/users$/, '');
    return fail(
      404,
      `Cohort ${request.cohort_id} not found; create it with POST ${create} first`,
      auth.name,
      request.cohort_id,
    );
  }
  return success(auth.name, request.cohort_id, auth.applyChanges(cohort, request));
}

function success(
  workspace: string,
  cohort_id: string,
  counts: { adds: number; removes: number; ignored: number },
): Outcome {
  return { status: 201, body: { message: 'success' }, record: { workspace, cohort_id, ...counts } };
}

/** Checks the partner key for this partner, the client secret, the partner enabled for it (the order Braze lists their 401s in). */
function authenticate(
  state: EmulatorState,
  partner: string,
  body: Record<string, unknown>,
): Workspace | string {
  const partnerKey = state.partners.get(partner);
  if (partnerKey === undefined || body.partner_api_key !== partnerKey) return 'Invalid Partner API key';
  const secret = body.client_secret;
  const workspace =
    typeof secret === 'string' ? state.workspaces.find((w) => w.clientSecret === secret) : undefined;
  if (!workspace) return 'Invalid client secret';
  if (!workspace.partners.has(partner))
    return `Partner not enabled for client with client secret: ${workspace.clientSecret}`;
  return workspace;
}

function refusesAny(faults: FaultInjector, change: CohortChange): boolean {
  return (
    (change.user_ids ?? []).some((id) => faults.rejects('user_id', id)) ||
    (change.device_ids ?? []).some((id) => faults.rejects('device_id', id)) ||
    (change.aliases ?? []).some((alias) => faults.rejects('alias', alias))
  );
}
