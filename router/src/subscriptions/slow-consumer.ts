import type { Logger } from '@voiceassist/logging';
import type { Connection } from './core.js';

/**
 * Writes a subscription message, and drops a connection that holds more than `maxBuffered`
 * unwritten: a client that cannot keep up frees its buffers and upstream streams at once.
 */
export function sendOrCloseSlow(connection: Connection, message: string, maxBuffered: number, logger: Logger): void {
  connection.buffered += 1;
  connection.write(message, connection.written);
  if (connection.buffered > maxBuffered) closeSlowConsumer(connection, logger);
}

function closeSlowConsumer(connection: Connection, logger: Logger): void {
  if (connection.refusal) return;
  connection.refusal = 'Connection closed: too slow';
  logger.warn({ requestId: connection.requestId, buffered: connection.buffered }, 'closing slow subscription consumer');
  for (const subscription of connection.subscriptions) void subscription.return();
  connection.drop();
}
