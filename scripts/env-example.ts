/**
 * Prints `.env.example` from the settings table: `npx tsx scripts/env-example.ts > .env.example`.
 * test/unit/config.env-example.test.ts keeps the committed file equal to this output.
 */
import { envExample } from '../src/config.ts';

process.stdout.write(envExample());
