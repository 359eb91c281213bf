/**
 * The committed migrations of the dialect under test (SQLite, or PostgreSQL when DATABASE_URL
 * is set) take an empty database to exactly the schema the entities describe: TypeORM's
 * schema builder finds nothing left to change.
 */
import { loadConfig } from '../../server/config/config';
import { openDatabase } from '../../server/database/database.module';
import { testDatabase } from '../support/test-database';

describe(`migrations (${process.env.DATABASE_URL ? 'postgres' : 'sqlite'})`, () => {
  it('migrate an empty database to the entities schema, and running them again changes nothing', async () => {
    const db = testDatabase();
    try {
      const config = loadConfig(db.env);
      const first = await openDatabase(config);
      const pending = await first.driver.createSchemaBuilder().log();
      expect(pending.upQueries.map((q) => q.query)).toEqual([]);
      const applied: Array<{ name: string }> = await first.query('SELECT name FROM migrations');
      expect(applied.map((m) => m.name)).toEqual(['Initial1763860000000']);
      await first.destroy();
      const second = await openDatabase(config);
      expect(await second.showMigrations()).toBe(false);
      await second.destroy();
    } finally {
      await db.cleanup();
    }
  });
});
