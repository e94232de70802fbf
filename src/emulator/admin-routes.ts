import type { IncomingMessage, ServerResponse } from 'node:http';
import type { EmulatorState } from './emulator-state.js';
import type { FaultSettings } from './faults.js';
import { readBody } from './read-body.js';
import { sendJson } from './send-json.js';
import type { SeedUser } from './user-directory.js';

/**
 * The inspection and control routes under /_emulator/ (never Braze's): cohorts and their members,
 * profiles and their custom attributes, the request history, faults, seeding users, reset.
 * `?workspace=NAME` picks a workspace; the first one by default.
 */
export async function handleAdmin(
  state: EmulatorState,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
): Promise<void> {
  const workspace = state.workspace(url.searchParams.get('workspace'));
  const route = `${req.method} ${url.pathname}`;
  if (!workspace) return sendJson(res, 404, { message: 'unknown workspace' });
  if (route === 'GET /_emulator/cohorts') {
    return sendJson(res, 200, {
      workspace: workspace.name,
      data_points: workspace.dataPoints,
      cohorts: [...workspace.cohorts.values()].map(({ members, ...cohort }) => ({
        ...cohort,
        size: members.size,
      })),
    });
  }
  const members = /^GET \/_emulator\/cohorts\/([^/]+)\/members$/.exec(route);
  if (members) {
    const cohort = workspace.cohorts.get(decodeURIComponent(members[1]!));
    if (!cohort) return sendJson(res, 404, { message: 'unknown cohort' });
    return sendJson(res, 200, {
      cohort_id: cohort.cohort_id,
      name: cohort.name,
      members: [...cohort.members].map((key) => workspace.directory.describe(key)),
    });
  }
  if (route === 'GET /_emulator/profiles') {
    // Profiles holding custom attributes; `?attribute=NAME`: only those holding that one.
    const attribute = url.searchParams.get('attribute');
    const profiles = workspace.attributes
      .profiles()
      .map((key) => ({ ...workspace.directory.describe(key), attributes: workspace.attributes.of(key) }))
      .filter((profile) => attribute === null || attribute in profile.attributes);
    return sendJson(res, 200, { workspace: workspace.name, data_points: workspace.dataPoints, profiles });
  }
  if (route === 'GET /_emulator/requests') {
    const limit = Number(url.searchParams.get('limit') ?? state.history.length);
    return sendJson(res, 200, { requests: state.history.slice(-limit) });
  }
  if (route === 'GET /_emulator/faults')
    return sendJson(res, 200, { ...state.faults.current(), injected: state.faults.injected });
  if (route === 'PUT /_emulator/faults') {
    state.faults.configure(JSON.parse((await readBody(req)).toString('utf8') || '{}') as FaultSettings);
    return sendJson(res, 200, state.faults.current());
  }
  if (route === 'POST /_emulator/users') {
    const { users } = JSON.parse((await readBody(req)).toString('utf8')) as { users: SeedUser[] };
    workspace.directory.upsert(users);
    return sendJson(res, 200, { users: workspace.directory.size });
  }
  if (route === 'POST /_emulator/reset') {
    for (const w of state.workspaces) {
      w.cohorts.clear();
      w.attributes.clear();
      w.dataPoints = 0;
    }
    state.history.length = 0;
    state.peakInFlight = state.inFlight;
    state.faults.configure({});
    return sendJson(res, 200, { reset: true });
  }
  return sendJson(res, 404, { message: 'Not Found' });
}
