/** Vitest global setup: one private Redis for the whole run, handed to tests via inject('redisUrl'). */
import type { TestProject } from 'vitest/node';
import { acquireTestRedis } from './redis.js';

declare module 'vitest' {
  export interface ProvidedContext {
    redisUrl: string;
  }
}

export default async function setup(project: TestProject) {
  const redis = await acquireTestRedis();
  project.provide('redisUrl', redis.url);
  return async () => {
    await redis.stop();
  };
}
