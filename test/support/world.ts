import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { sql } from 'kysely';
import { parseConfig } from '../../src/config/load-config.js';
import type { Config } from '../../src/config/types.js';
import type { RunningEmulator } from '../../src/emulator/emulator-server.js';
import { Redactor, TextLogger, type Logger } from '../../src/log/logger.js';
import type { Row } from '../../src/sources/source.js';
import type { RunSyncOptions } from '../../src/sync/sync-environment.js';
import type { SyncReport } from '../../src/sync/sync-report.js';
import type { SyncEventHandler } from '../../src/sync/sync-events.js';
import { runSyncs, withWarehouse } from '../../src/sync/run-syncs.js';
import { atEnd } from './cleanup.js';
import { PARTNER, TEST_ENV } from './emulator.js';
import type { TestWarehouse } from './engines.js';
import { captureForSecretScan } from './secret-scan.js';

export interface SyncYaml {
  name: string;
  cohort_name?: string;
  query: string;
  /** A .sql file to read the query from instead (then `query` is ignored). */
  queryFile?: string;
  extra?: string;
}

/**
 * A warehouse, a Braze emulator and a config that joins them, for one test.
 * Runs go through the same code path as the CLI's `run`.
 */
export class World {
  readonly configFile: string;
  /** More keys of the `state:` mapping, as YAML flow text (e.g. `checkpoint_batches: 2`). */
  stateExtra = '';

  constructor(
    readonly dir: string,
    readonly warehouse: TestWarehouse,
    readonly braze: RunningEmulator,
    readonly syncs: SyncYaml[],
    readonly brazeExtra = 'retry: { max_attempts: 6, base_delay_ms: 5, max_delay_ms: 50, max_elapsed_seconds: 30 }',
  ) {
    this.configFile = path.join(
      dir,
      `cohort-sync-${path.basename(warehouse.config.type === 'duckdb' ? warehouse.config.path : warehouse.stateSchema)}.yaml`,
    );
    // Every audit row this world's runs wrote goes to the suite's secret scan when the test file ends.
    atEnd(async () => captureForSecretScan(`audit tables of ${this.configFile}`, await this.auditText()));
  }

  /** All state tables as text. */
  async auditText(): Promise<string> {
    const tables = ['sync_runs', 'sync_changes', 'sync_locks', 'cohort_snapshot'];
    // One after another: opening one DuckDB file several times at once in one process conflicts.
    const dumps = [];
    for (const table of tables) dumps.push(await this.query(`SELECT * FROM $state.${table}`));
    return JSON.stringify(dumps);
  }

  yaml(): string {
    const syncs = this.syncs
      .map(
        (s) =>
          `  - name: ${s.name}\n    cohort_name: ${s.cohort_name ?? s.name.toUpperCase()}\n` +
          (s.queryFile ? `    query_file: ${s.queryFile}\n` : `    query: ${JSON.stringify(s.query)}\n`) +
          (s.extra ? `${s.extra.replace(/^/gm, '    ')}\n` : ''),
      )
      .join('');
    return [
      `warehouse: ${this.warehouse.yaml}`,
      `state: { schema: ${this.warehouse.stateSchema}${this.stateExtra ? `, ${this.stateExtra}` : ''} }`,
      'braze:',
      `  rest_endpoint: ${this.braze.url}`,
      `  partner: ${PARTNER}`,
      '  partner_api_key: ${BRAZE_PARTNER_API_KEY}',
      '  data_import_key: ${BRAZE_DATA_IMPORT_KEY}',
      `  ${this.brazeExtra}`,
      'syncs:',
      syncs,
    ].join('\n');
  }

  async config(): Promise<Config> {
    await writeFile(this.configFile, this.yaml());
    return parseConfig(this.yaml(), this.configFile, TEST_ENV);
  }

  async run(
    options: RunSyncOptions & {
      syncs?: string[];
      logger?: Logger;
      signal?: AbortSignal;
      onEvent?: SyncEventHandler;
    } = {},
  ): Promise<SyncReport[]> {
    const config = await this.config();
    // Log lines as the CLI writes them (through the config's redactor), kept for the suite's secret scan.
    let log = '';
    const logger = new TextLogger(new Redactor(config.secrets), {}, (line) => (log += line));
    try {
      return await runSyncs(config, { logger, ...options });
    } finally {
      captureForSecretScan(`log of an in-process run of ${this.configFile}`, log);
    }
  }

  /** Runs one sync and returns its report. */
  async runOne(options: RunSyncOptions = {}): Promise<SyncReport> {
    const [report] = await this.run(options);
    if (!report) throw new Error('no sync ran');
    return report;
  }

  /** Reads rows of the state schema with plain SQL, as a user would. */
  async query<R extends Row = Row>(text: string): Promise<R[]> {
    return withWarehouse(await this.config(), async (source) =>
      source.execute<R>(sql.raw(text.replaceAll('$state', this.warehouse.stateSchema)).compile(source.db)),
    );
  }
}
