/**
 * Developer tool: writes the initial migration of each dialect from the entities, using
 * TypeORM's own schema builder against an empty database (what `migration:generate` does).
 * Run: `npm run build && node dist/server/database/generate-migrations.js <name> <postgres-url>`.
 * The migration test checks that the committed migrations give exactly the entities' schema.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import 'reflect-metadata';
import { DataSource, type DataSourceOptions } from 'typeorm';
import { ENTITIES } from './entities';

async function upQueries(options: DataSourceOptions): Promise<{ up: string[]; down: string[] }> {
  const ds = await new DataSource({ ...options, entities: ENTITIES, synchronize: false, migrations: [] }).initialize();
  try {
    const log = await ds.driver.createSchemaBuilder().log();
    return { up: log.upQueries.map((q) => q.query), down: log.downQueries.map((q) => q.query).reverse() };
  } finally {
    await ds.destroy();
  }
}

function render(className: string, dialect: string, queries: { up: string[]; down: string[] }): string {
  const list = (qs: string[]) => qs.map((q) => `      ${JSON.stringify(q)},`).join('\n');
  return `/** ${dialect} schema: generated from the entities by server/database/generate-migrations.ts. */
import type { MigrationInterface, QueryRunner } from 'typeorm';

export class ${className} implements MigrationInterface {
  name = '${className}';

  async up(queryRunner: QueryRunner): Promise<void> {
    for (const sql of [
${list(queries.up)}
    ]) await queryRunner.query(sql);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const sql of [
${list(queries.down)}
    ]) await queryRunner.query(sql);
  }
}
`;
}

async function main(): Promise<void> {
  const [name, pgUrl] = process.argv.slice(2);
  if (!name || !pgUrl) throw new Error('usage: generate-migrations <ClassName1700000000000> <postgres-url>');
  const srcDir = join(__dirname, '..', '..', '..', 'server', 'database', 'migrations');
  const sqlite = await upQueries({ type: 'better-sqlite3', database: ':memory:' });
  writeFileSync(join(srcDir, 'sqlite', `${name}.ts`), render(name, 'SQLite', sqlite));
  const schema = `gen_${Date.now()}`;
  const admin = await new DataSource({ type: 'postgres', url: pgUrl }).initialize();
  await admin.query(`CREATE SCHEMA ${schema}`);
  try {
    const pg = await upQueries({ type: 'postgres', url: pgUrl, schema });
    const unqualified = { up: pg.up.map((q) => q.split(`"${schema}".`).join('')), down: pg.down.map((q) => q.split(`"${schema}".`).join('')) };
    writeFileSync(join(srcDir, 'postgres', `${name}.ts`), render(name, 'PostgreSQL', unqualified));
  } finally {
    await admin.query(`DROP SCHEMA ${schema} CASCADE`);
    await admin.destroy();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
