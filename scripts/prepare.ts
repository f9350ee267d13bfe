// Run by `npm ci` / `npm install` (the prepare script): builds the PGlite start-up template.
import { writeTemplate } from '../src/store/pglite-template.ts';

const path = await writeTemplate();
console.log(`gatehouse: PGlite template ready (${path})`);
