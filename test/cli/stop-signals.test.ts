import { afterEach, describe, expect, it } from 'vitest';
import { REPEAT_WINDOW_MS, onStopSignals, type StopSignal } from '../../src/cli/stop-signals.js';

describe('stop signals', () => {
  let stopListening: (() => void) | undefined;
  afterEach(() => stopListening?.());

  function listen() {
    let clock = 0;
    const calls: string[] = [];
    stopListening = onStopSignals(
      {
        stop: (signal: StopSignal) => calls.push(`stop ${signal}`),
        force: (signal: StopSignal) => calls.push(`force ${signal}`),
      },
      () => clock,
    );
    const signal = (name: StopSignal, at: number) => {
      clock = at;
      process.emit(name, name);
    };
    return { calls, signal };
  }

  it('stops on the first signal and forces on a later one', () => {
    const { calls, signal } = listen();
    signal('SIGTERM', 0);
    signal('SIGINT', REPEAT_WINDOW_MS);
    expect(calls).toEqual(['stop SIGTERM', 'force SIGINT']);
  });

  it('takes a signal repeated at once (a wrapper forwarding the Ctrl-C the terminal sent) as the same request', () => {
    const { calls, signal } = listen();
    signal('SIGINT', 0);
    signal('SIGINT', 5);
    signal('SIGINT', REPEAT_WINDOW_MS - 1);
    expect(calls).toEqual(['stop SIGINT']);
  });

  it('stops listening when told to', () => {
    const { calls, signal } = listen();
    stopListening!();
    stopListening = undefined;
    const before = process.listenerCount('SIGINT');
    signal('SIGINT', 0);
    expect(calls).toEqual([]);
    expect(process.listenerCount('SIGINT')).toBe(before);
  });
});
