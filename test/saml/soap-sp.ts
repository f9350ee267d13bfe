import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

/** How the test SP answers a back-channel LogoutRequest. */
export type SoapMode = 'success' | 'partial' | 'http-500' | 'fault' | 'hang' | 'wrong-id' | 'redirect';

const STATUS = 'urn:oasis:names:tc:SAML:2.0:status:';
const envelope = (body: string) =>
  `<?xml version="1.0"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>${body}</soap:Body></soap:Envelope>`;
const logoutResponse = (entityId: string, inResponseTo: string, status: string) =>
  `<samlp:LogoutResponse xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_r${Date.now()}" Version="2.0" IssueInstant="${new Date().toISOString()}" InResponseTo="${inResponseTo}">` +
  `<saml:Issuer>${entityId}</saml:Issuer><samlp:Status><samlp:StatusCode Value="${STATUS}${status}"/></samlp:Status></samlp:LogoutResponse>`;

/** The signed LogoutRequest element inside a SOAP envelope (what an SP verifies). */
export const logoutRequestOf = (soap: string) =>
  /<samlp:LogoutRequest[\s\S]*<\/samlp:LogoutRequest>/.exec(soap)?.[0] ?? '';

/**
 * A service provider's SOAP single logout endpoint on node:http: records each request (headers and
 * body) and answers as `mode` says: a LogoutResponse quoting the request's ID, or something wrong.
 */
export async function soapSp(entityId: string) {
  const received: { headers: IncomingHttpHeaders; body: string }[] = [];
  const state = { mode: 'success' as SoapMode };
  const server = createServer(async (req, res) => {
    let body = '';
    for await (const chunk of req) body += chunk;
    received.push({ headers: req.headers, body });
    const id = /<samlp:LogoutRequest[^>]* ID="([^"]+)"/.exec(body)?.[1] ?? '';
    const xml = (status: number, text: string) => {
      res.writeHead(status, { 'content-type': 'text/xml' });
      res.end(text);
    };
    switch (state.mode) {
      case 'success':
        return xml(200, envelope(logoutResponse(entityId, id, 'Success')));
      case 'partial':
        return xml(200, envelope(logoutResponse(entityId, id, 'Responder')));
      case 'wrong-id':
        return xml(200, envelope(logoutResponse(entityId, '_another_request', 'Success')));
      case 'fault':
        return xml(
          500,
          envelope(
            '<soap:Fault><faultcode>soap:Server</faultcode><faultstring>session store down</faultstring></soap:Fault>',
          ),
        );
      case 'http-500':
        res.writeHead(500, { 'content-type': 'text/plain' });
        return res.end('internal error');
      case 'redirect':
        res.writeHead(302, { location: 'http://127.0.0.1:9/elsewhere' });
        return res.end();
      case 'hang':
        return; // never answers; the sender's timeout ends it
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/saml/soap`,
    received,
    state,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
