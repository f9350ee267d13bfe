import { readFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { setSchemaValidator } from 'samlify';
import { GatehouseError } from '../../src/errors.ts';
import type { Verdict } from './schema-worker.ts';
import { screenXml } from './xml-screen.ts';

const folder = new URL('./schemas/', import.meta.url);
const SCHEMA = 'saml-schema-protocol-2.0.xsd';
const FILES = [
  SCHEMA,
  'saml-schema-assertion-2.0.xsd',
  'xmldsig-core-schema.xsd',
  'xenc-schema.xsd',
  'XMLSchema.dtd',
  'datatypes.dtd',
].map((fileName) => ({ fileName, contents: readFileSync(new URL(fileName, folder), 'utf8') }));

/** A validation that takes longer than this is abandoned and its worker replaced. */
const RUN_TIMEOUT_MS = 5_000;

const invalid = (code: string, message: string) => new GatehouseError('invalid', `saml.${code}`, message);

interface Pending {
  resolve(verdict: Verdict): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

/**
 * One long-lived worker thread running libxml2's xmllint compiled to WebAssembly (no native build,
 * no Java), started on first use. Messages are validated one at a time in the worker's order; a
 * worker that dies or overruns is replaced, and what it held is refused (fail closed).
 */
export function validatorWorker(timeoutMs = RUN_TIMEOUT_MS) {
  let worker: Worker | undefined;
  let next = 0;
  const pending = new Map<number, Pending>();

  const failAll = (error: Error) => {
    for (const [id, job] of pending) {
      clearTimeout(job.timer);
      job.reject(error);
      pending.delete(id);
    }
  };
  const start = (): Worker => {
    const started = new Worker(new URL('./schema-worker.ts', import.meta.url), {
      workerData: { schema: SCHEMA, files: FILES },
      resourceLimits: { maxOldGenerationSizeMb: 64 },
    });
    started.unref();
    started.on('message', (verdict: Verdict) => {
      const job = pending.get(verdict.id);
      if (!job) return;
      pending.delete(verdict.id);
      clearTimeout(job.timer);
      job.resolve(verdict);
      if (pending.size === 0) started.unref();
    });
    const gone = (error: Error) => {
      if (worker === started) worker = undefined;
      failAll(error);
    };
    started.on('error', gone);
    started.on('exit', () => gone(new Error('the SAML schema validator stopped')));
    return started;
  };

  return (xml: string): Promise<Verdict> =>
    new Promise((resolve, reject) => {
      worker ??= start();
      const current = worker;
      const id = next++;
      const timer = setTimeout(() => {
        // Everything queued behind the overrun is refused with it; the next message gets a new worker.
        worker = undefined;
        failAll(new Error('the SAML schema validator timed out'));
        void current.terminate();
      }, timeoutMs);
      pending.set(id, { resolve, reject, timer });
      current.ref();
      current.postMessage({ id, xml });
    });
}

const run = validatorWorker();

/** Validates a SAML protocol message against the OASIS schemas (after screening out DTDs and the like). */
export async function validateSamlXml(xml: string): Promise<void> {
  screenXml(xml);
  let verdict: Verdict;
  try {
    verdict = await run(xml);
  } catch {
    throw new GatehouseError('unavailable', 'saml.validator_failed', 'the SAML message could not be checked');
  }
  if (verdict.exitCode === 0) return;
  if ((verdict.exitCode === 3 || verdict.exitCode === 4) && !verdict.errors.includes('parser error')) {
    // xmllint: "message.xml:1: element X: Schemas validity error : …"; the first line says enough.
    const first = verdict.errors.split('\n')[0]?.replace(/^message\.xml:\d+:\s*/, '') ?? '';
    throw invalid(
      'schema_invalid',
      `SAML message does not match the SAML 2.0 schema: ${first.slice(0, 200) || 'invalid'}`,
    );
  }
  // A parser error or any other exit: the document could not even be parsed.
  throw invalid('malformed', 'not a well-formed XML document');
}

let installed = false;
/** samlify validates every message it parses with this (it refuses to parse without a validator). */
export function installSchemaValidator(): void {
  if (installed) return;
  setSchemaValidator({ validate: (xml: string) => validateSamlXml(xml).then(() => 'ok') });
  installed = true;
}
