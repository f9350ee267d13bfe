// Foundation figures: /healthz throughput against a bare node:http server in the same run, cold start
// to ready on PGlite (first start and restart), idle RSS. Run: node bench/http.ts
import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort, machine, requestsPerSecond, rssMb, startGatehouse, table, tempDir } from './support.ts';

const BARE = `require('node:http').createServer((q, s) => { s.setHeader('content-type', 'application/json'); s.end('{"status":"ok"}'); }).listen(Number(process.argv[1]), '127.0.0.1');`;

console.log(`# foundation: HTTP, start-up, memory\nmachine: ${machine()}\n`);

const dataDir = tempDir();
const first = await startGatehouse({ GATEHOUSE_DATA_DIR: dataDir }, await freePort());
await first.stop();
const restartPort = await freePort();
const restart = await startGatehouse({ GATEHOUSE_DATA_DIR: dataDir }, restartPort);
await sleep(3_000);
const idleRss = rssMb(restart.child.pid!);

const barePort = await freePort();
const bare = spawn(process.execPath, ['-e', BARE, String(barePort)], { stdio: 'ignore' });
await sleep(300);
// Warm both up, then measure alternately so that background noise affects both alike.
await requestsPerSecond(`http://127.0.0.1:${barePort}/healthz`, { seconds: 2 });
await requestsPerSecond(`http://127.0.0.1:${restartPort}/healthz`, { seconds: 2 });
const bareRps = await requestsPerSecond(`http://127.0.0.1:${barePort}/healthz`);
const gatehouseRps = await requestsPerSecond(`http://127.0.0.1:${restartPort}/healthz`);
// The same small JSON answer through the whole middleware stack (request id, access log,
// metrics, security headers, error mapping, router): an unknown path answered 404.
const stackRps = await requestsPerSecond(`http://127.0.0.1:${restartPort}/no-such-path`, { expect404: true });
const loadedRss = rssMb(restart.child.pid!);
bare.kill();
await restart.stop();

console.log(
  table([
    ['measure', 'value', 'target'],
    ['/healthz req/s, bare node:http', bareRps.toFixed(0), ''],
    ['/healthz req/s, Gatehouse', gatehouseRps.toFixed(0), ''],
    ['ratio Gatehouse / bare', (gatehouseRps / bareRps).toFixed(2), '≥ 0.7'],
    ['full middleware stack req/s (404 JSON)', stackRps.toFixed(0), ''],
    ['ratio full stack / bare', (stackRps / bareRps).toFixed(2), ''],
    ['first start to ready (PGlite, new folder)', `${first.readyMs.toFixed(0)} ms`, ''],
    ['restart to ready (PGlite)', `${restart.readyMs.toFixed(0)} ms`, '≤ 1500 ms'],
    ['idle RSS after start', `${idleRss.toFixed(0)} MB`, '≤ 150 MB'],
    ['RSS after the load test', `${loadedRss.toFixed(0)} MB`, ''],
  ]),
);
