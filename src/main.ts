import { enableCompileCache } from 'node:module';

// Cache compiled code (and stripped types) on disk: later starts skip most of that work (~30 %
// of start-up). Enabled before the rest of the program is imported, which is why those imports
// are dynamic. NODE_COMPILE_CACHE chooses the folder; NODE_DISABLE_COMPILE_CACHE=1 turns it off.
enableCompileCache();
const { runCli } = await import('./cli.ts');
const { processIo } = await import('./cli/io.ts');

/** Process entry: wires signals to the CLI and turns its result into the exit code. */
const stopSignal = new Promise<void>((resolve) => {
  let signalled = false;
  const onSignal = () => {
    if (signalled) process.exit(1); // a second signal: stop waiting for in-flight work
    signalled = true;
    resolve();
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
});

const code = await runCli(process.argv.slice(2), processIo(), stopSignal);
process.exitCode = code;
// Long-running commands return after a clean stop; short ones must not wait on open handles.
setTimeout(() => process.exit(code), 100).unref();
