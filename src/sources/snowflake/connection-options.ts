import { createPrivateKey } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { ConnectionOptions } from 'snowflake-sdk';
import { WarehouseError, errorMessage } from '../../errors.js';
import type { SnowflakeWarehouseConfig } from './snowflake-config.js';

export type { SnowflakeWarehouseConfig };

/**
 * The SDK's connection options for the configured account and login. A private key is read and decrypted
 * here, so that a missing file or a wrong passphrase is reported as such, naming the config key.
 */
export async function connectionOptions(config: SnowflakeWarehouseConfig): Promise<ConnectionOptions> {
  const base: ConnectionOptions = {
    account: config.account,
    username: config.username,
    warehouse: config.warehouse,
    database: config.database,
    role: config.role,
    application: 'cohort_sync',
    // Numbers are fetched as text (snowflake-session.ts); without this the SDK returns NULL as the text 'NULL'.
    representNullAsStringNull: false,
    // The daemon keeps sessions for days; without a heartbeat Snowflake ends idle ones after four hours.
    clientSessionKeepAlive: true,
    ...(config.access_url === undefined ? {} : { accessUrl: config.access_url.replace(/\/+$/, '') }),
  };
  if (config.private_key_path === undefined) return { ...base, password: config.password };
  return {
    ...base,
    authenticator: 'SNOWFLAKE_JWT',
    privateKey: await readPrivateKey(config.private_key_path, config.private_key_passphrase),
  };
}

/** `account as user`, and the address when it is not the account's own, for messages. */
export function describeAccount(config: SnowflakeWarehouseConfig): string {
  const where = config.access_url === undefined ? '' : ` at ${config.access_url}`;
  return `account ${config.account}${where} as ${config.username}`;
}

/** The key as unencrypted PKCS#8 PEM, the form the SDK signs its login token with. */
async function readPrivateKey(file: string, passphrase: string | undefined): Promise<string> {
  let pem: string;
  try {
    pem = await readFile(file, 'utf8');
  } catch (error) {
    throw new WarehouseError(`cannot read warehouse.private_key_path ${file}: ${errorMessage(error)}`, {
      code: 'WAREHOUSE_AUTH',
      cause: error,
    });
  }
  try {
    const key = createPrivateKey({ key: pem, format: 'pem', passphrase });
    return key.export({ type: 'pkcs8', format: 'pem' }).toString();
  } catch (error) {
    const hint =
      passphrase === undefined
        ? 'if the key is encrypted, set warehouse.private_key_passphrase'
        : 'check warehouse.private_key_passphrase';
    throw new WarehouseError(
      `cannot load the private key in ${file} (warehouse.private_key_path): ${errorMessage(error)}; ${hint}`,
      { code: 'WAREHOUSE_AUTH', cause: error },
    );
  }
}
