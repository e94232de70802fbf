import { spawn, type ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { expect } from 'vitest';
import { parseConfig } from '../../src/config/load-config.js';
import type { Config } from '../../src/config/types.js';
import type { RunningEmulator } from '../../src/emulator/emulator-server.js';
import { atEnd } from './cleanup.js';
import { BIN } from './cli.js';
import { TEST_ENV, emulator } from './emulator.js';
import type { TestEngine, TestWarehouse } from './engines.js';
import { captureForSecretScan } from './secret-scan.js';
import { tempDir } from './temp-dir.js';
import { World, type SyncYaml } from './world.js';

/** Braze retries fast enough for a test that injects failures. */
export const FAST_RETRY =
  'retry: { max_attempts: 6, base_delay_ms: 5, max_delay_ms: 50, max_elapsed_seconds: 30 }';

export interface DaemonWorldOptions {
  /** Rows `user-1` … `user-N` in the audience table, with their number in column `i`. */
  users: number;
  /** More of the `braze:` mapping (indented two spaces). */
  brazeExtra?: string;
  /** Top-level YAML appended to the config (`notifications: …`). */
  tail?: string;
  /** Environment the config reads besides the Braze keys (the daemon must be given it too). */
  env?: NodeJS.ProcessEnv;
  /** More keys of the `state:` mapping, as YAML flow text (`retention_days: 7`). */
  stateExtra?: string;
  /** The whole `braze:` mapping instead of the emulator's single target (e.g. several named targets). */
  brazeYaml?: (braze: RunningEmulator) => string;
  /** Changes the warehouse the config points at (e.g. through a proxy); setup still uses the real one. */
  reach?: (warehouse: TestWarehouse) => TestWarehouse;
}

export interface DaemonWorld {
  world: World;
  braze: RunningEmulator;
  /** The config file. */
  config: string;
  warehouse: TestWarehouse;
}

/**
 * A warehouse of `engine` with an audience table, an emulator and a config joining them for a daemon.
 * Sync queries say `$audience` for the audience table, which lives in a schema of its own on PostgreSQL.
 */
export async function daemonWorld(
  engine: TestEngine,
  syncs: SyncYaml[],
  options: DaemonWorldOptions,
): Promise<DaemonWorld> {
  const dir = await tempDir();
  const braze = await emulator({ allUsersExist: true });
  const warehouse = engine.isolate(dir);
  const audience = engine.name === 'duckdb' ? 'audience' : `${warehouse.stateSchema}_data.audience`;
  if (engine.name !== 'duckdb') await warehouse.exec(`CREATE SCHEMA ${warehouse.stateSchema}_data`);
  await warehouse.exec(
    `CREATE TABLE ${audience} AS SELECT external_id, CAST(substr(external_id, 6) AS BIGINT) AS i FROM (${engine.userIds(1, options.users)}) AS u`,
  );
  const world = new DaemonConfigWorld(
    dir,
    options.reach ? options.reach(warehouse) : warehouse,
    braze,
    syncs.map((s) => ({ ...s, query: s.query.replaceAll('$audience', audience) })),
    options.brazeExtra ?? FAST_RETRY,
  );
  world.stateExtra = options.stateExtra ?? '';
  world.brazeYaml = options.brazeYaml?.(braze);
  world.tail = options.tail;
  world.env = options.env ?? {};
  await world.config();
  return { world, braze, config: world.configFile, warehouse };
}

/** A World whose config may have several Braze targets and more top-level keys (it rewrites its file to read). */
class DaemonConfigWorld extends World {
  brazeYaml: string | undefined;
  tail: string | undefined;
  env: NodeJS.ProcessEnv = {};

  override yaml(): string {
    let yaml = super.yaml();
    if (this.brazeYaml) yaml = yaml.replace(/^braze:\n[\s\S]*?(?=^syncs:)/m, `${this.brazeYaml.trimEnd()}\n`);
    return this.tail ? `${yaml}\n${this.tail}\n` : yaml;
  }

  override async config(): Promise<Config> {
    await writeFile(this.configFile, this.yaml());
    return parseConfig(this.yaml(), this.configFile, { ...TEST_ENV, ...this.env });
  }
}

/** A row of sync_runs as the daemon tests read it. */
export interface RunRow {
  run_id: string;
  sync_name: string;
  trigger: string;
  status: string;
  started_at: Date;
  finished_at: Date | null;
  added: number;
  error: string | null;
}

export async function runRows(world: World): Promise<RunRow[]> {
  return world.query<RunRow & Record<string, unknown>>(
    'SELECT run_id, sync_name, trigger, status, started_at, finished_at, added, error FROM $state.sync_runs ORDER BY started_at',
  );
}

/** Runs that did work (not skipped ticks) must never overlap in time. */
export function expectNoOverlap(rows: RunRow[]): void {
  const worked = rows.filter((r) => r.status !== 'skipped');
  for (let i = 1; i < worked.length; i++) {
    expect(worked[i]!.started_at.getTime()).toBeGreaterThanOrEqual(worked[i - 1]!.finished_at!.getTime());
  }
}

/** The snapshot of a sync as `external_id:<id>` strings, sorted, to compare with the emulator's cohort. */
export async function snapshotIds(world: World, sync: string): Promise<string[]> {
  const rows = await world.query<{ id: string }>(
    `SELECT id FROM $state.cohort_snapshot WHERE sync_name = '${sync}' ORDER BY id`,
  );
  return rows.map((r) => `external_id:${r.id}`).sort();
}

/** The value of one series in a Prometheus text exposition, e.g. `cohort_sync_runs_total{sync="a",status="failed"}`. */
export function metricValue(metrics: string, series: string): number | undefined {
  const line = metrics.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

/** One JSON log line of the daemon. */
export type LogLine = Record<string, unknown> & { level: string; msg: string; sync?: string; run?: string };

/** `cohort-sync daemon` as a child process, its JSON log lines collected as they come; its output joins the secret scan. */
export class DaemonProcess {
  readonly lines: LogLine[] = [];
  stdout = '';
  stderr = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
  private readonly child: ChildProcess;

  constructor(args: string[], env: NodeJS.ProcessEnv = {}) {
    this.child = spawn(process.execPath, [BIN, 'daemon', '--log-format', 'json', ...args], {
      env: { PATH: process.env.PATH, ...TEST_ENV, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let partial = '';
    this.child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      this.stdout += chunk;
      partial += chunk;
      const complete = partial.split('\n');
      partial = complete.pop() ?? '';
      for (const line of complete) if (line.trim()) this.lines.push(JSON.parse(line) as LogLine);
    });
    this.child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (this.stderr += chunk));
    this.exited = new Promise((resolve) =>
      this.child.once('close', (code, signal) => {
        captureForSecretScan(
          `output of cohort-sync daemon (pid ${this.child.pid})`,
          this.stdout + this.stderr,
        );
        resolve({ code, signal, at: Date.now() });
      }),
    );
    atEnd(() => {
      if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
    });
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** Lines whose message starts with `prefix`, optionally of one sync. */
  messages(prefix: string, sync?: string): LogLine[] {
    return this.lines.filter((l) => l.msg.startsWith(prefix) && (sync === undefined || l.sync === sync));
  }

  /** Waits until `check` returns a value (checked every 50 ms). */
  async waitFor<T>(
    check: () => T | undefined | false | Promise<T | undefined | false>,
    what: string,
    timeoutMs = 15_000,
  ): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await check();
      if (value !== undefined && value !== false) return value;
      if (Date.now() > deadline || this.child.exitCode !== null)
        throw new Error(`daemon: gave up waiting for ${what}; stderr: ${this.stderr}\nlog:\n${this.stdout}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** The /healthz and /metrics base URL, once the daemon serves them (started with `--listen`). */
  listening(): Promise<string> {
    return this.waitFor(() => this.messages('serving')[0]?.url as string | undefined, 'the listener');
  }

  /** Sends a signal without waiting for anything. */
  signal(signal: NodeJS.Signals): void {
    this.child.kill(signal);
  }

  /** Sends a signal and waits for the exit; `ms` is the time from signal to exit. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<{ code: number | null; ms: number }> {
    const sent = Date.now();
    this.child.kill(signal);
    const exit = await this.exited;
    return { code: exit.code, ms: exit.at - sent };
  }
}
