/**
 * Opens the database at start-up and applies pending migrations inside one transaction, so a
 * coordinator never runs against a half-migrated schema.
 */
import { Global, Inject, Module, type OnApplicationShutdown } from '@nestjs/common';
import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '../config/config';
import { dataSourceOptions } from './data-source-options';
import { TransactionRunner } from './transaction-runner';

export async function openDatabase(config: AppConfig): Promise<DataSource> {
  const options = dataSourceOptions(config);
  if (options.type === 'postgres' && config.databaseSchema) {
    const bootstrap = await new DataSource({ type: 'postgres', url: config.databaseUrl }).initialize();
    await bootstrap.query(`CREATE SCHEMA IF NOT EXISTS "${config.databaseSchema}"`);
    await bootstrap.destroy();
  }
  const dataSource = await new DataSource(options).initialize();
  await dataSource.runMigrations({ transaction: 'all' });
  return dataSource;
}

@Global()
@Module({
  providers: [
    { provide: DataSource, inject: [APP_CONFIG], useFactory: (config: AppConfig) => openDatabase(config) },
    { provide: TransactionRunner, inject: [DataSource], useFactory: (ds: DataSource) => new TransactionRunner(ds) },
  ],
  exports: [DataSource, TransactionRunner],
})
export class DatabaseModule implements OnApplicationShutdown {
  constructor(@Inject(DataSource) private readonly dataSource: DataSource) {}

  async onApplicationShutdown(): Promise<void> {
    if (this.dataSource.isInitialized) await this.dataSource.destroy();
  }
}
