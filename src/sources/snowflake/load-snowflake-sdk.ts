import type SnowflakeSdk from 'snowflake-sdk';

/** The snowflake-sdk module. */
export type Sdk = typeof SnowflakeSdk;

let loaded: Promise<Sdk> | undefined;

/**
 * Loads snowflake-sdk once, configured for cohort-sync. Loaded on first use only, so that DuckDB and
 * PostgreSQL users never pay for it (it bundles the AWS and Azure SDKs for stage file transfers).
 *
 * Before loading: the SDK probes cloud metadata endpoints and AWS STS when it is imported, to report
 * the platform for workload identity federation, which cohort-sync does not use; and the AWS SDK inside
 * it warns on stderr about Node versions for S3 transfers we never make. Both are switched off unless the
 * environment already says otherwise.
 *
 * The SDK's logger is replaced by one that drops every message: its own logger may write to the console
 * or to a file named by a client config file, and nothing it prints is needed — every failure reaches us
 * as an error, which describe-snowflake-error.ts turns into a message without secrets.
 */
export function loadSnowflakeSdk(): Promise<Sdk> {
  loaded ??= (async () => {
    process.env.SNOWFLAKE_DISABLE_PLATFORM_DETECTION ??= 'true';
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
    const sdk = (await import('snowflake-sdk')).default;
    sdk.configure({ logLevel: 'OFF', customLogger: SILENT, additionalLogToConsole: false });
    return sdk;
  })();
  return loaded;
}

const ignore = (): void => undefined;
const SILENT = { error: ignore, warn: ignore, info: ignore, debug: ignore, trace: ignore };
