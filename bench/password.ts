// Password verification with the default argon2id parameters: `node bench/password.ts`.
// Verifications per second one at a time and with one per core in flight (libuv's thread pool runs
// them), and whether burnTime (unknown users) costs what a wrong password for a real user costs.
import { availableParallelism } from 'node:os';
import {
  burnTime,
  DEFAULT_ARGON2_PARAMS,
  hashPassword,
  verifyPasswordHash,
} from '../src/auth/password-hash.ts';
import { machine, table } from './support.ts';

const phc = await hashPassword('the right password, 2026');

async function perSecond(concurrency: number, seconds: number): Promise<number> {
  let done = 0;
  const end = performance.now() + seconds * 1000;
  const started = performance.now();
  const worker = async () => {
    while (performance.now() < end) {
      await verifyPasswordHash(phc, 'a wrong guess');
      done++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return done / ((performance.now() - started) / 1000);
}

async function timed(run: () => Promise<unknown>): Promise<number> {
  const started = process.hrtime.bigint();
  await run();
  return Number(process.hrtime.bigint() - started) / 1e6;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

await perSecond(1, 0.5); // warm up
const cores = availableParallelism();
const sequential = await perSecond(1, 3);
const parallel = await perSecond(cores, 3);

// Interleaved so that drift (frequency scaling, other load) hits both alike.
const wrong: number[] = [];
const burn: number[] = [];
for (let i = 0; i < 150; i++) {
  wrong.push(await timed(() => verifyPasswordHash(phc, 'a wrong guess')));
  burn.push(await timed(() => burnTime('a wrong guess')));
}
const diff = (a: number, b: number) => `${(((b - a) / a) * 100).toFixed(1)} %`;

const { memoryKiB, passes, parallelism } = DEFAULT_ARGON2_PARAMS;
console.log(`Password verification, argon2id m=${memoryKiB},t=${passes},p=${parallelism}: ${machine()}`);
console.log(
  table([
    ['case', 'verifications/s', 'ms each'],
    ['one at a time', sequential.toFixed(1), (1000 / sequential).toFixed(1)],
    [`${cores} in flight`, parallel.toFixed(1), (1000 / parallel).toFixed(1)],
  ]),
);
console.log('');
console.log(
  table([
    ['150 interleaved runs', 'median ms', 'mean ms'],
    ['verifyPasswordHash, wrong password', median(wrong).toFixed(2), mean(wrong).toFixed(2)],
    ['burnTime (unknown user)', median(burn).toFixed(2), mean(burn).toFixed(2)],
    ['difference', diff(median(wrong), median(burn)), diff(mean(wrong), mean(burn))],
  ]),
);
