/**
 * The engine and the API on one private prefix, the API built as the api and local processes build it
 * (`buildProcessApp`), listening on a free loopback port so
 * browsers and the CLI reach it over real HTTP.
 */
import type { FastifyInstance } from 'fastify';
import { buildProcessApp } from '../../../src/lifecycle/run.js';
import { type TestEngine, useTestScope } from '../../helpers/engine.js';

export const TOKEN = 'test-token-0123456789';

export interface Stack {
  readonly t: TestEngine;
  readonly app: FastifyInstance;
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly prefix: string;
  // biome-ignore lint/suspicious/noExplicitAny: API answers of several shapes, checked by the tests' expectations
  call(method: string, path: string, body?: unknown): Promise<{ status: number; json: any }>;
}

/** Starts the stack for the current test (closed after it). */
export function useStack() {
  const scope = useTestScope();
  return {
    ...scope,
    async stack(env: Record<string, string> = {}): Promise<Stack> {
      const t = await scope.engine(env);
      const s = t.services;
      // The process's own app: every route module on these services (config.apiTokens holds TOKEN).
      const app = buildProcessApp(s);
      await app.listen({ host: '127.0.0.1', port: 0 });
      scope.defer(() => app.close());
      const address = app.server.address();
      const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
      return {
        t,
        app,
        url,
        prefix: s.config.prefix,
        async call(method, path, body) {
          const res = await fetch(`${url}${path}`, {
            method,
            headers: { authorization: `Token ${TOKEN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
            body: body === undefined ? undefined : JSON.stringify(body),
          });
          const text = await res.text();
          return { status: res.status, json: text ? JSON.parse(text) : null };
        },
      };
    },
  };
}
