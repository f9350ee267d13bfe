import { processIo } from './cli/io.ts';
import { runCli } from './cli.ts';

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
