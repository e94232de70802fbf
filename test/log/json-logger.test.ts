import { describe, expect, it } from 'vitest';
import { JsonLogger } from '../../src/log/json-logger.js';
import { Redactor } from '../../src/log/logger.js';

const SECRET = 'dik-secret-"quoted"-9f8e';

function capture() {
  const lines: string[] = [];
  const logger = JsonLogger.create(new Redactor([SECRET]), (line) => lines.push(line));
  const parsed = () => lines.map((line) => JSON.parse(line) as Record<string, unknown>);
  return { logger, lines, parsed };
}

describe('JsonLogger', () => {
  it('writes one JSON object a line with time, level, message and every child field', () => {
    const { logger, lines, parsed } = capture();
    const run = logger.child({ sync: 'vip' }).child({ run: 'ab12cd34' });
    run.info('sending 10 changes', { batch: 3 });
    run.warn('batch 4 failed');
    logger.error('warehouse unreachable');
    expect(lines.every((line) => line.endsWith('\n') && !line.slice(0, -1).includes('\n'))).toBe(true);
    const [first, second, third] = parsed();
    expect(first).toMatchObject({
      level: 'info',
      sync: 'vip',
      run: 'ab12cd34',
      batch: 3,
      msg: 'sending 10 changes',
    });
    expect(new Date(first!.time as string).toISOString()).toBe(first!.time);
    expect(second).toMatchObject({ level: 'warn', sync: 'vip', run: 'ab12cd34' });
    expect(third).toMatchObject({ level: 'error', msg: 'warehouse unreachable' });
    expect(third).not.toHaveProperty('sync');
  });

  it('redacts secrets in messages, fields and child fields, even ones JSON would escape', () => {
    const { logger, lines, parsed } = capture();
    logger.child({ endpoint: `x${SECRET}` }).warn(`Invalid client secret: ${SECRET}`, { detail: SECRET });
    expect(lines.join('')).not.toContain('secret-');
    expect(lines.join('')).not.toContain(JSON.stringify(SECRET).slice(1, -1));
    expect(parsed()[0]).toMatchObject({
      msg: 'Invalid client secret: [redacted]',
      detail: '[redacted]',
      endpoint: 'x[redacted]',
    });
  });
});
