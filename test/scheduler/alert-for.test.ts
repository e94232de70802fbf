import { describe, expect, it } from 'vitest';
import { Redactor, TextLogger } from '../../src/log/logger.js';
import { alertFor, type SyncHealth } from '../../src/scheduler/alert-for.js';
import { RunAlerts } from '../../src/scheduler/run-alerts.js';
import type { SyncReport } from '../../src/sync/sync-report.js';

function report(status: SyncReport['status'], extra: Partial<SyncReport> = {}): SyncReport {
  return {
    sync: 'vip',
    run_id: '0123abcd-0000-4000-8000-000000000000',
    status,
    dry_run: false,
    query_rows: 10,
    skipped_null: 0,
    skipped_duplicate: 0,
    skipped_invalid: 0,
    skip_reasons: null,
    members: 10,
    snapshot_size: 0,
    to_add: 10,
    to_remove: 0,
    added: 0,
    removed: 0,
    failed: 0,
    requests: 1,
    retries: 0,
    error: null,
    ...extra,
  };
}

/** Feeds a sequence of runs through alertFor, returning the alerts it sent. */
function alerts(...reports: SyncReport[]): string[] {
  let health: SyncHealth = 'ok';
  const sent: string[] = [];
  for (const r of reports) {
    const { after, text } = alertFor(health, r);
    health = after;
    if (text) sent.push(text);
  }
  return sent;
}

const failed = report('failed', { error: 'Braze answered 503\nService Unavailable' });

describe('alertFor', () => {
  it('says nothing about successes', () => {
    expect(alerts(report('succeeded'), report('succeeded'))).toEqual([]);
  });

  it('alerts once when a sync starts failing and once when it recovers', () => {
    expect(
      alerts(
        report('succeeded'),
        failed,
        failed,
        failed,
        report('succeeded', { added: 3 }),
        report('succeeded'),
      ),
    ).toEqual([
      'cohort-sync: sync "vip" failed (run 0123abcd): Braze answered 503 Service Unavailable',
      'cohort-sync: sync "vip" recovered (run 0123abcd succeeded, +3 −0)',
    ]);
  });

  it('alerts on a guardrail abort and on a partial failure, with counts', () => {
    expect(
      alerts(
        report('aborted', { error: 'guardrail: would remove 80% of the cohort' }),
        report('partial', { added: 5, failed: 5, error: '1 batch(es) failed' }),
      ),
    ).toEqual([
      'cohort-sync: sync "vip" was aborted by a guardrail (run 0123abcd): guardrail: would remove 80% of the cohort',
      'cohort-sync: sync "vip" partially failed (+5 −0, 5 failed) (run 0123abcd): 1 batch(es) failed',
    ]);
  });

  it('ignores skipped ticks, interrupted runs and dry runs', () => {
    expect(
      alerts(
        failed,
        report('skipped'),
        report('interrupted'),
        report('succeeded', { dry_run: true }),
        failed,
      ),
    ).toHaveLength(1);
  });

  it('keeps a long error to one short line', () => {
    const [text] = alerts(report('failed', { error: 'x'.repeat(2000) }));
    expect(text!.length).toBeLessThan(400);
    expect(text).toMatch(/…$/);
  });
});

describe('RunAlerts', () => {
  it('logs an alert it could not deliver and keeps going: a webhook outage never fails a run', async () => {
    const lines: string[] = [];
    const posted: string[] = [];
    let down = true;
    const runAlerts = new RunAlerts(
      (text) =>
        down
          ? Promise.reject(new Error('the webhook answered HTTP 500'))
          : Promise.resolve(void posted.push(text)),
      new TextLogger(new Redactor([]), {}, (line) => lines.push(line)),
    );
    expect(() => runAlerts.observe({ type: 'run_finished', report: failed })).not.toThrow();
    await runAlerts.flush();
    expect(lines).toEqual([
      `[vip] warn: could not send the alert (the webhook answered HTTP 500): cohort-sync: sync "vip" failed (run 0123abcd): Braze answered 503 Service Unavailable\n`,
    ]);
    down = false;
    runAlerts.observe({ type: 'run_finished', report: report('succeeded', { added: 10 }) });
    await runAlerts.flush();
    expect(posted).toEqual(['cohort-sync: sync "vip" recovered (run 0123abcd succeeded, +10 −0)']);
  });
});
