/**
 * `npm run gen:api`: writes web/src/api/schema.d.ts, the console's API types, from the route schemas
 * (see scripts/openapi.ts). Run it after changing a route's request or response schema.
 */
import fs from 'node:fs';
import { migrate } from '../src/db/index.ts';
import { openPglite } from '../src/db/pglite.ts';
import { openApiDocument, SCHEMA_FILE, schemaSource } from './openapi.ts';

const db = await openPglite(undefined);
try {
  await migrate(db);
  const source = await schemaSource(await openApiDocument(db));
  const before = fs.existsSync(SCHEMA_FILE) ? fs.readFileSync(SCHEMA_FILE, 'utf8') : '';
  fs.writeFileSync(SCHEMA_FILE, source);
  console.log(before === source ? `${SCHEMA_FILE} is up to date` : `wrote ${SCHEMA_FILE}`);
} finally {
  await db.close();
}
