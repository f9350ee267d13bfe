// The xmllint (WebAssembly) worker behind schema.ts: compiles libxml2 once, then validates one
// message per request, each run in a fresh instance with its own capped memory. xmllint-wasm's own
// validateXML starts a new worker and compiles the module for every message (~100 ms); this keeps
// both, so a validation costs one instantiation and one xmllint run.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { parentPort, workerData } from 'node:worker_threads';

interface Job {
  id: number;
  xml: string;
}
export interface Verdict {
  id: number;
  /** 0 valid, 3 or 4 invalid (xmllint's exit codes), anything else: xmllint failed. */
  exitCode: number;
  errors: string;
}
interface Files {
  schema: string;
  files: { fileName: string; contents: string }[];
}

type EmscriptenModule = (options: Record<string, unknown>) => Promise<unknown>;

const require = createRequire(import.meta.url);
// Loading it also installs xmllint-wasm's own message handler, which ignores messages not tagged
// with its key: ours are not.
const runXmllint = require('xmllint-wasm/xmllint-node.js') as EmscriptenModule;
const compiled = new WebAssembly.Module(readFileSync(require.resolve('xmllint-wasm/xmllint.wasm')));
const { schema, files } = workerData as Files;

/** 16 MiB to start, 32 MiB at most: a message that needs more fails instead of growing the node. */
const PAGES = { initial: 256, maximum: 512 };

function validate(xml: string): Promise<Omit<Verdict, 'id'>> {
  return new Promise((resolve) => {
    let errors = '';
    runXmllint({
      inputFiles: [{ fileName: 'message.xml', contents: xml }, ...files],
      // --nonet: never fetch anything; no --noent: entities are never expanded.
      arguments: ['--nonet', '--schema', schema, '--noout', 'message.xml'],
      print: () => {},
      printErr: (text: string) => {
        if (errors.length < 4096) errors += `${text}\n`;
      },
      onExit: (exitCode: number) => resolve({ exitCode, errors }),
      onAbort: (reason: unknown) => resolve({ exitCode: -1, errors: `abort: ${String(reason)}` }),
      wasmMemory: new WebAssembly.Memory(PAGES),
      instantiateWasm(
        imports: WebAssembly.Imports,
        ready: (instance: WebAssembly.Instance, module: WebAssembly.Module) => void,
      ) {
        WebAssembly.instantiate(compiled, imports).then((instance) => ready(instance, compiled));
        return {};
      },
    }).catch((error: unknown) => resolve({ exitCode: -1, errors: String(error) }));
  });
}

parentPort!.on('message', async (job: Job) => {
  if (!job || typeof job.id !== 'number' || typeof job.xml !== 'string') return;
  const verdict: Verdict = { id: job.id, ...(await validate(job.xml)) };
  parentPort!.postMessage(verdict);
});
