// `npm run migrate`: create the database if needed and apply migrations (every process also does this at start).
import { loadSettings } from '../config/settings';
import { migrateDatabase } from '../store/migrate';

migrateDatabase(loadSettings().databaseUrl).then(
  () => console.log('database is up to date'),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
