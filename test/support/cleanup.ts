import { afterAll } from 'vitest';

const tasks: (() => unknown)[] = [];

// Registered when a test file first imports test support, i.e. at collection time, so it runs when the
// file ends. (An afterAll registered inside a beforeAll never runs, which is why helpers called from
// beforeAll must not register their own.) Tasks run newest first; every task runs even if one fails.
afterAll(async () => {
  const errors: unknown[] = [];
  for (const task of tasks.splice(0).reverse()) {
    try {
      await task();
    } catch (error) {
      errors.push(error);
    }
  }
  if (errors.length > 0) throw errors[0];
});

/** Runs `task` when the current test file ends, after its own afterAll hooks; newest task first. */
export function atEnd(task: () => unknown): void {
  tasks.push(task);
}
