import { atEnd } from './cleanup.js';
import { DATA_IMPORT_KEY, PARTNER_API_KEY, REST_API_KEY } from './emulator.js';
import { FAKE_SNOWFLAKE_PASSWORD } from './fake-snowflake/fake-login.js';

/**
 * The secrets test of the whole suite: every byte a CLI child process printed
 * (test/support/cli.ts captures them all) and every audit row a World wrote
 * (test/support/world.ts dumps its state tables) is kept, and when the test
 * file ends it fails if any configured secret appears anywhere in them.
 */
const captured: { what: string; text: string }[] = [];
const secrets = new Set<string>([PARTNER_API_KEY, DATA_IMPORT_KEY, REST_API_KEY, FAKE_SNOWFLAKE_PASSWORD]);

/** Output or data to scan when the test file ends. */
export function captureForSecretScan(what: string, text: string): void {
  captured.push({ what, text });
}

/** Another value that must never appear (a wrong key a test configures, a warehouse password). */
export function registerSecret(secret: string): void {
  secrets.add(secret);
}

/** What was scanned in this file so far, for the suite's own sanity checks. */
export function scannedSoFar(): number {
  return captured.length;
}

/** What was captured so far whose text matches `pattern`, to show that a kind of output is scanned. */
export function capturedMatching(pattern: RegExp): string[] {
  return captured.filter((item) => pattern.test(item.text)).map((item) => item.what);
}

/** Names the places a secret leaked to, without printing the secret. */
export function findLeaks(): string[] {
  return leaksIn(captured, [...secrets]);
}

/** The scan itself, on given texts and secrets: where each secret appears, named by its number and length. */
export function leaksIn(items: readonly { what: string; text: string }[], list: readonly string[]): string[] {
  const leaks: string[] = [];
  for (const item of items) {
    list.forEach((secret, index) => {
      if (item.text.includes(secret))
        leaks.push(`secret #${index + 1} (${secret.length} chars) in ${item.what}`);
    });
  }
  return leaks;
}

// Registered at import, before any test adds cleanup tasks, so it runs after them all (tasks run newest
// first): after each World has dumped its audit tables, which it does before its directory is removed.
atEnd(() => {
  const leaks = findLeaks();
  if (leaks.length > 0) throw new Error(`configured secrets leaked:\n  ${leaks.join('\n  ')}`);
});
