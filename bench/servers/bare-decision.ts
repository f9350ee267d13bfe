// The baseline for `POST /api/v1/authorize` in bench/access.ts: a bare node:http server that makes
// the same decision with the same verifier over the same data folder (SigV4, revocation, policy),
// and nothing else: no bearer token, no request id, no metrics, no security headers, no error
// mapping. Against it, the ratio measures what Gatehouse's HTTP route adds to the decision.
// Usage: node bench/servers/bare-decision.ts DATA_DIR PORT
import { createServer } from 'node:http';
import { loadConfig } from '../../src/config/load.ts';
import { answerAuthorize, checkAuthorizeRequest } from '../../src/credentials/decision-api.ts';
import { createLogger } from '../../src/log.ts';
import { startRuntime } from '../../src/runtime.ts';

const [dataDir, port] = process.argv.slice(2);
const config = loadConfig({ env: { GATEHOUSE_DATA_DIR: dataDir!, GATEHOUSE_LOG_LEVEL: 'silent' } });
const runtime = await startRuntime(config, createLogger('silent'));
const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    const input = checkAuthorizeRequest(JSON.parse(Buffer.concat(chunks).toString()));
    const text = JSON.stringify(input ? answerAuthorize(runtime.access.verifier, input) : { error: 'bad' });
    res.writeHead(input ? 200 : 400, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(text),
    });
    res.end(text);
  });
});
server.listen(Number(port), '127.0.0.1', () => console.log('ready'));
process.on('SIGTERM', () => {
  server.close();
  void runtime.close().then(() => process.exit(0));
});
