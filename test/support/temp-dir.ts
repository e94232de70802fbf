import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { atEnd } from './cleanup.js';

/** A fresh directory removed after the test file. */
export async function tempDir(prefix = 'cohort-sync-'): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), prefix));
  atEnd(() => rm(dir, { recursive: true, force: true }));
  return dir;
}
