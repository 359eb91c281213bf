#!/usr/bin/env node
/** Coordinator entry point: `node dist/server/main.js` (configuration from the environment, see README). */
import { ConfigError, loadConfig } from './config/config';
import { createCoordinator } from './bootstrap';

async function main(): Promise<void> {
  const config = loadConfig();
  const app = await createCoordinator(config);
  await app.listen(config.port, config.host);
  const address = app.getHttpServer().address() as { port: number };
  // One line that scripts (and the demo) can wait for.
  process.stdout.write(`${JSON.stringify({ msg: 'coordinator listening', url: `http://${config.host}:${address.port}`, network: config.network, database: config.databaseUrl ? 'postgres' : 'sqlite' })}\n`);
}

main().catch((error: unknown) => {
  const message = error instanceof ConfigError ? error.message : error instanceof Error ? error.stack ?? error.message : String(error);
  process.stderr.write(`${JSON.stringify({ level: 'fatal', msg: 'coordinator failed to start', error: message })}\n`);
  process.exit(1);
});
