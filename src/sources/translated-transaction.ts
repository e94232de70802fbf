import type { CompiledQuery, Kysely } from 'kysely';
import type { Row, StatementRunner } from './source.js';

/**
 * Runs `work` in one kysely transaction, with every error as the source reports it (`translate`). When the
 * connection is gone the ROLLBACK fails too; the statement's own error is the one reported.
 */
export async function translatedTransaction<T>(
  db: Kysely<any>, // eslint-disable-line @typescript-eslint/no-explicit-any
  translate: (error: unknown) => unknown,
  work: (tx: StatementRunner) => Promise<T>,
): Promise<T> {
  let workError: unknown;
  try {
    return await db.transaction().execute(async (trx) => {
      try {
        return await work({
          execute: async <R extends Row>(query: CompiledQuery) => {
            try {
              return (await trx.executeQuery<R>(query)).rows;
            } catch (error) {
              throw translate(error);
            }
          },
        });
      } catch (error) {
        workError = error;
        throw error;
      }
    });
  } catch (error) {
    throw translate(workError ?? error);
  }
}
