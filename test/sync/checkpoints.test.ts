import { describe, expect, it } from 'vitest';
import { Checkpoints, type PendingBatches } from '../../src/sync/checkpoints.js';

const batch = (n: number) => ({ batch: n, adds: 10, removes: 0, retries: 0 });
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('Checkpoints', () => {
  it('writes every `every` confirmed batches, no sooner than the minimum interval, one write queued at a time', async () => {
    let clock = 0;
    const writes: number[][] = [];
    const checkpoints = new Checkpoints(
      (pending: PendingBatches) => {
        writes.push(pending.confirmed.map((b) => b.batch));
        return Promise.resolve();
      },
      2,
      1000,
      () => clock,
    );
    for (const n of [0, 1, 2]) checkpoints.confirm(batch(n));
    await settle();
    expect(writes).toEqual([]); // 3 batches pending, but no second has passed since sending began

    clock = 1000;
    checkpoints.confirm(batch(3));
    checkpoints.confirm(batch(4));
    await settle();
    expect(writes).toEqual([[0, 1, 2, 3, 4]]);

    clock = 1500;
    for (const n of [5, 6, 7]) checkpoints.confirm(batch(n));
    await settle();
    expect(writes).toHaveLength(1);

    clock = 2000;
    checkpoints.confirm(batch(8));
    await settle();
    expect(writes).toEqual([
      [0, 1, 2, 3, 4],
      [5, 6, 7, 8],
    ]);
    expect((await checkpoints.drain()).confirmed).toEqual([]);
    expect(checkpoints.totals).toMatchObject({ added: 90, confirmedBatches: 9 });
  });

  it('puts the batches of a failed write back, to be written with the final transaction', async () => {
    const checkpoints = new Checkpoints(() => Promise.reject(new Error('warehouse away')), 1);
    checkpoints.confirm(batch(0));
    checkpoints.confirm(batch(1));
    const pending = await checkpoints.drain();
    expect(pending.confirmed.map((b) => b.batch)).toEqual([0, 1]);
    expect(String(checkpoints.lastError)).toMatch(/warehouse away/);
  });
});
