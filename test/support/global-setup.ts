import { execFileSync } from 'node:child_process';

/** CLI tests spawn bin/cohort-sync.js, which runs dist/: build it from the current source first. */
export default function setup(): void {
  execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
}
