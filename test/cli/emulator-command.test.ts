import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { request } from 'undici';
import { describe, expect, it } from 'vitest';
import { runCli, spawnCli, type SpawnedCli } from '../support/cli.js';
import { tempDir } from '../support/temp-dir.js';

/** Starts `cohort-sync emulator` on a free port and returns its URL; the caller stops it. */
async function started(cli: SpawnedCli): Promise<string> {
  await cli.waitFor(/listening on http:\/\/\S+/);
  return /listening on (http:\/\/\S+)/.exec(cli.output().stdout)![1]!;
}

async function post(url: string, body: unknown, headers: Record<string, string> = {}) {
  const response = await request(url, {
    method: 'POST',
    body: JSON.stringify(body),
    headers: { 'content-type': 'application/json', ...headers },
  });
  return { status: response.statusCode, body: await response.body.json(), headers: response.headers };
}

describe('cohort-sync emulator', () => {
  it('serves /users/track with the REST API key of $BRAZE_REST_API_KEY, without any partner key', async () => {
    const cli = spawnCli(['emulator', '--port', '0'], { env: { BRAZE_REST_API_KEY: 'rest-cli-key' } });
    try {
      const url = await started(cli);
      expect(cli.output().stdout).toMatch(/partners: none; \/users\/track: on/);
      const attributes = [{ external_id: 'u1', _update_existing_only: true, vip: true }];
      const answer = await post(
        `${url}/users/track`,
        { attributes },
        { authorization: 'Bearer rest-cli-key' },
      );
      expect(answer).toMatchObject({ status: 201, body: { attributes_processed: 1 } });
      expect(answer.headers['x-ratelimit-limit']).toBe('3000');
      expect(
        (await post(`${url}/users/track`, { attributes }, { authorization: 'Bearer other' })).status,
      ).toBe(401);
      const profiles = await (await request(`${url}/_emulator/profiles`)).body.json();
      expect(profiles).toMatchObject({ profiles: [{ external_id: 'u1', attributes: { vip: true } }] });
    } finally {
      cli.signal('SIGTERM');
      expect((await cli.exited).code).toBe(0);
    }
  });

  it('takes workspaces, keys with their permissions and budgets from --options', async () => {
    const file = path.join(await tempDir(), 'emulator.yaml');
    await writeFile(
      file,
      [
        'partners: [{ name: acme, api_key: pk }]',
        'workspaces:',
        '  - client_secret: dik',
        '    partners: [acme]',
        '    rest_api_keys: [{ key: rk-export, permissions: [users.export.ids] }]',
        '    all_users_exist: true',
        'rate_limits: { cohorts: { requests: 10, window_seconds: 60 } }',
      ].join('\n'),
    );
    const cli = spawnCli(['emulator', '--port', '0', '--options', file]);
    try {
      const url = await started(cli);
      const denied = await post(
        `${url}/users/track`,
        { attributes: [] },
        { authorization: 'Bearer rk-export' },
      );
      expect(denied.status).toBe(403);
      const created = await post(`${url}/partners/acme/cohorts`, {
        partner_api_key: 'pk',
        client_secret: 'dik',
        cohort_id: 'c',
        name: 'C',
        created_at: '2026-11-23T10:00:00Z',
      });
      expect(created).toMatchObject({ status: 201 });
      expect(created.headers['x-ratelimit-limit']).toBe('10');
    } finally {
      cli.signal('SIGTERM');
      await cli.exited;
    }
  });

  it('exits 2 naming the variables when no key is set', async () => {
    const result = await runCli(['emulator', '--port', '0']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/BRAZE_PARTNER_API_KEY.*BRAZE_DATA_IMPORT_KEY.*BRAZE_REST_API_KEY/);
  });
});
