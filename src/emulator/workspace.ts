import type { CohortUsersRequest, UpsertCohortRequest } from '../destinations/braze-cohort/wire-types.js';
import { UserDirectory, type SeedUser, type UserKey } from './user-directory.js';

export interface EmulatedCohort {
  cohort_id: string;
  name: string;
  created_at: string;
  partner: string;
  members: Set<UserKey>;
}

/** One Braze workspace (customer): its Data Import Key, the partners enabled for it, its users and cohorts. */
export class Workspace {
  readonly directory: UserDirectory;
  readonly cohorts = new Map<string, EmulatedCohort>();
  /** Identifier writes, which Braze bills as data points. */
  dataPoints = 0;

  constructor(
    readonly name: string,
    readonly clientSecret: string,
    readonly partners: ReadonlySet<string>,
    allUsersExist: boolean,
    users: readonly SeedUser[] = [],
  ) {
    this.directory = new UserDirectory(allUsersExist);
    this.directory.upsert(users);
  }

  upsertCohort(partner: string, body: UpsertCohortRequest): void {
    const existing = this.cohorts.get(body.cohort_id);
    if (existing) existing.name = body.name;
    else
      this.cohorts.set(body.cohort_id, {
        cohort_id: body.cohort_id,
        name: body.name,
        created_at: body.created_at,
        partner,
        members: new Set(),
      });
  }

  /** Applies entries in order; identifiers of unknown users (and device ids of identified users) are ignored. */
  applyChanges(
    cohort: EmulatedCohort,
    body: CohortUsersRequest,
  ): { adds: number; removes: number; ignored: number } {
    const counts = { adds: 0, removes: 0, ignored: 0 };
    // Plain loops rather than a generator over every id: the emulator must keep up with a client sending
    // millions of ids (npm run bench), so its per-id cost stays a map lookup and a set update.
    for (const change of body.cohort_changes) {
      const remove = change.should_remove === true;
      for (const id of change.user_ids ?? [])
        this.apply(cohort, this.directory.resolve('user_id', id), remove, counts);
      for (const id of change.device_ids ?? [])
        this.apply(cohort, this.directory.resolve('device_id', id), remove, counts);
      for (const alias of change.aliases ?? [])
        this.apply(cohort, this.directory.resolve('alias', alias), remove, counts);
    }
    return counts;
  }

  private apply(
    cohort: EmulatedCohort,
    key: UserKey | undefined,
    remove: boolean,
    counts: { adds: number; removes: number; ignored: number },
  ): void {
    this.dataPoints++;
    if (key === undefined) counts.ignored++;
    else if (remove) {
      cohort.members.delete(key);
      counts.removes++;
    } else {
      cohort.members.add(key);
      counts.adds++;
    }
  }
}
