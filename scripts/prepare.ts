// Run by `npm ci` / `npm install` (the prepare script): builds the PGlite start-up template.
// Tolerant by design: a lock-file-only install has no node_modules, and start-up falls back to
// initdb when the template is missing.
try {
  const { writeTemplate } = await import('../src/store/pglite-template.ts');
  console.log(`gatehouse: PGlite template ready (${await writeTemplate()})`);
} catch (error) {
  console.warn(
    `gatehouse: PGlite template not built (${(error as Error).message.split('\n')[0]}); first start will run initdb`,
  );
}
