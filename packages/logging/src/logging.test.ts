import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from './index.js';

function capture() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _enc, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { lines, destination };
}

describe('createLogger', () => {
  it('writes JSON lines with service and request id and redacts secrets and message text', () => {
    const { lines, destination } = capture();
    const logger = createLogger({ service: 'identity', destination });
    logger.child({ requestId: 'req-1' }).info(
      { password: 'hunter2hunter2', input: { password: 'x', content: 'patient has chest pain' }, headers: { authorization: 'Bearer abc' }, refreshToken: 'r' },
      'login',
    );
    expect(lines).toHaveLength(1);
    const line = JSON.parse(lines[0]!);
    expect(line).toMatchObject({ service: 'identity', requestId: 'req-1', msg: 'login', level: 'info' });
    const raw = lines[0]!;
    for (const secret of ['hunter2hunter2', 'chest pain', 'Bearer abc']) expect(raw).not.toContain(secret);
    expect(line.password).toBe('[redacted]');
  });
});
