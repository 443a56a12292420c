import { createTestDatabase, type TestDatabase } from '@voiceassist/testkit/database';
import { startRedisServer, type TestRedisServer } from '@voiceassist/testkit/redis-server';
import { buildServices, type BuiltServices } from './built-services.js';

/** What a suite over built services runs on: its own Redis server, the build, a fresh PostgreSQL database. */
export interface Infrastructure {
  redis: TestRedisServer;
  services: BuiltServices;
  database: TestDatabase;
  /** Stops every service process, then Redis, and drops the database. */
  stop(): Promise<void>;
}

/** Starts all three together; when one fails, the others are undone before it throws. */
export async function startInfrastructure(databaseUrl: string): Promise<Infrastructure> {
  const [redis, services, database] = await Promise.allSettled([startRedisServer(), buildServices(), createTestDatabase(databaseUrl)]);
  const stop = async () => {
    if (services.status === 'fulfilled') await services.value.close();
    if (redis.status === 'fulfilled') await redis.value.stop();
    if (database.status === 'fulfilled') await database.value.drop();
  };
  if (redis.status === 'rejected' || services.status === 'rejected' || database.status === 'rejected') {
    await stop();
    throw [redis, services, database].find((result) => result.status === 'rejected')!.reason;
  }
  return { redis: redis.value, services: services.value, database: database.value, stop };
}
