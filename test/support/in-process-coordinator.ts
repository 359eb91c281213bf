/**
 * A real coordinator inside the test process (real HTTP on loopback, real database), for
 * service and API tests that need to look at the database after each request.
 */
import type { INestApplication } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { createCoordinator } from '../../server/bootstrap';
import { loadConfig } from '../../server/config/config';
import { type TestDatabase, testDatabase } from './test-database';

export interface ApiResponse<T = unknown> { status: number; body: T }

export interface RunningCoordinator {
  url: string;
  app: INestApplication;
  db: TestDatabase;
  dataSource: DataSource;
  call<T = unknown>(method: string, path: string, body?: unknown): Promise<ApiResponse<T>>;
  close(): Promise<void>;
}

export async function startInProcessCoordinator(env: Record<string, string> = {}): Promise<RunningCoordinator> {
  const db = testDatabase();
  const config = loadConfig({ CONCLAVE_LOG_LEVEL: 'error', CONCLAVE_PORT: '0', ...db.env, ...env });
  const app = await createCoordinator(config);
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as { port: number };
  const url = `http://127.0.0.1:${port}`;
  return {
    url, app, db, dataSource: app.get(DataSource),
    async call<T>(method: string, path: string, body?: unknown): Promise<ApiResponse<T>> {
      const response = await fetch(url + path, {
        method,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      });
      const text = await response.text();
      return { status: response.status, body: (text ? JSON.parse(text) : null) as T };
    },
    async close() {
      await app.close();
      await db.cleanup();
    },
  };
}
