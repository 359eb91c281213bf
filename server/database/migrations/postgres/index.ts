/** PostgreSQL migrations, oldest first. */
import { Initial1763860000000 } from './Initial1763860000000';

export const POSTGRES_MIGRATIONS = [Initial1763860000000];
