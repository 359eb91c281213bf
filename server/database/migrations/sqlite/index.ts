/** SQLite migrations, oldest first. */
import { Initial1763860000000 } from './Initial1763860000000';

export const SQLITE_MIGRATIONS = [Initial1763860000000];
