/**
 * A real coordinator process for the browser tests, on a fresh test database, listening on a
 * port chosen first so that the web app's origin (http://localhost:<port>) is known to it as
 * the WebAuthn relying party and origin: passkeys made in the page belong to it.
 */
import { type Coordinator, startCoordinator } from '../support/processes';
import { type TestDatabase, testDatabase } from '../support/test-database';
import { freePort } from './chromium';

export interface WebCoordinator { coordinator: Coordinator; origin: string; stop(): Promise<void> }

export async function startWebCoordinator(): Promise<WebCoordinator> {
  const db: TestDatabase = testDatabase();
  const port = await freePort();
  const origin = `http://localhost:${port}`;
  const coordinator = await startCoordinator({
    ...db.env, CONCLAVE_NETWORK: 'regtest', CONCLAVE_PORT: String(port), CONCLAVE_WEBAUTHN_RP_ID: 'localhost', CONCLAVE_WEBAUTHN_ORIGIN: origin,
  }).catch(async (error: unknown) => {
    await db.cleanup();
    throw error;
  });
  return {
    coordinator, origin,
    async stop() {
      await coordinator.stop();
      await db.cleanup();
    },
  };
}
