import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { parse } from 'yaml';
import { startEmulator, type EmulatorOptions } from '../../emulator/emulator-server.js';
import type { SeedUser } from '../../emulator/user-directory.js';
import { UsageError } from '../../errors.js';
import type { CliContext } from '../cli-context.js';

export function registerEmulator(program: Command, ctx: CliContext): void {
  program
    .command('emulator')
    .description('run the local Braze emulator (partner cohort import API and /users/track)')
    .option('-p, --port <port>', 'port to listen on', '4010')
    .option('--host <host>', 'address to bind', '127.0.0.1')
    .option('--partner <name>', 'partner path name to accept', 'cohort-sync')
    .option(
      '--partner-api-key-env <var>',
      'environment variable holding the partner API key to accept',
      'BRAZE_PARTNER_API_KEY',
    )
    .option(
      '--data-import-key-env <var>',
      'environment variable holding the Data Import Key to accept',
      'BRAZE_DATA_IMPORT_KEY',
    )
    .option(
      '--rest-api-key-env <var>',
      'environment variable holding the REST API key (users.track) that /users/track accepts',
      'BRAZE_REST_API_KEY',
    )
    .option(
      '--users <file>',
      'JSON list of users ({external_id, device_ids, aliases}) that exist in the workspace',
    )
    .option(
      '--all-users-exist',
      'treat every identifier as an existing user (default when --users is not given)',
    )
    .option(
      '--options <file>',
      'YAML/JSON emulator options: partners, workspaces (keys, users), faults, rate_limits, users_track',
    )
    .action(async (opts: EmulatorCommandOptions) => {
      ctx.exitCode = await emulatorCommand(opts, ctx.io.out);
    });
}

export interface EmulatorCommandOptions {
  port: string;
  host: string;
  partner: string;
  partnerApiKeyEnv: string;
  dataImportKeyEnv: string;
  restApiKeyEnv: string;
  users?: string;
  allUsersExist?: boolean;
  options?: string;
}

/**
 * Starts the local Braze emulator until SIGINT/SIGTERM. By default it accepts
 * the same environment variables a sync config references, so one `export`
 * serves both: the partner keys for the cohort routes, the REST API key for
 * `/users/track` (either set, or both).
 */
export async function emulatorCommand(
  opts: EmulatorCommandOptions,
  write: (line: string) => void,
): Promise<number> {
  const options = opts.options ? await readOptionsFile(opts.options) : await optionsFromFlags(opts);
  const port = Number(opts.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new UsageError(`--port must be a port number, got "${opts.port}"`);
  const emulator = await startEmulator(options, { port, host: opts.host });
  const partners = options.partners.map((p) => p.name).join(', ') || 'none';
  const track = options.workspaces.some((w) => (w.rest_api_keys ?? []).length > 0) ? 'on' : 'off';
  write(
    `Braze emulator listening on ${emulator.url} (partners: ${partners}; /users/track: ${track}; admin: ${emulator.url}/_emulator/cohorts)\n`,
  );
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await emulator.close();
  return 0;
}

async function optionsFromFlags(opts: EmulatorCommandOptions): Promise<EmulatorOptions> {
  const partnerKey = process.env[opts.partnerApiKeyEnv];
  const secret = process.env[opts.dataImportKeyEnv];
  const restKey = process.env[opts.restApiKeyEnv];
  const cohorts = Boolean(partnerKey && secret);
  if (!cohorts && (partnerKey || secret || !restKey)) {
    throw new UsageError(
      `the emulator accepts the partner keys in $${opts.partnerApiKeyEnv} and $${opts.dataImportKeyEnv} (set both, any values) and the REST API key in $${opts.restApiKeyEnv}; set the partner keys, the REST API key or all three, or pass --options FILE`,
    );
  }
  const users = opts.users ? (JSON.parse(await readFile(opts.users, 'utf8')) as SeedUser[]) : [];
  return {
    partners: cohorts && partnerKey ? [{ name: opts.partner, api_key: partnerKey }] : [],
    workspaces: [
      {
        ...(cohorts ? { client_secret: secret, partners: [opts.partner] } : {}),
        ...(restKey ? { rest_api_keys: [{ key: restKey, permissions: ['users.track'] }] } : {}),
        users,
        all_users_exist: opts.allUsersExist ?? users.length === 0,
      },
    ],
  };
}

async function readOptionsFile(file: string): Promise<EmulatorOptions> {
  try {
    return parse(await readFile(file, 'utf8')) as EmulatorOptions;
  } catch (error) {
    throw new UsageError(`cannot read emulator options ${file}: ${(error as Error).message}`);
  }
}
