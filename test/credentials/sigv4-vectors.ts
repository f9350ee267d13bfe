// Loads the SigV4 test-suite files under test/fixtures/sigv4 and turns their raw
// HTTP requests into the plain request description the verifier takes.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SigV4Request } from '../../src/credentials/sigv4.ts';

export const SUITE_DIR = join(import.meta.dirname, '../fixtures/sigv4/aws-c-auth/v4');
export const BOTOCORE_DIR = join(import.meta.dirname, '../fixtures/sigv4/botocore');

export const SUITE = {
  accessKeyId: 'AKIDEXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
  region: 'us-east-1',
  service: 'service',
  date: new Date('2015-08-30T12:36:00Z'),
};

export interface ParsedRequest extends SigV4Request {
  headers: Record<string, string[]>;
  body: string;
}

/**
 * Parses the suite's request files. The request target may contain raw spaces and UTF-8, so it
 * is everything between the first and the last space of the request line. A line starting with
 * whitespace continues the previous header and, as the suite's canonical files show, counts as
 * one more value of it.
 */
export function parseHttpRequest(text: string): ParsedRequest {
  const blank = text.indexOf('\n\n');
  const head = blank === -1 ? text : text.slice(0, blank);
  let body = blank === -1 ? '' : text.slice(blank + 2);
  const [requestLine, ...headerLines] = head.split('\n');
  const first = requestLine!.indexOf(' ');
  const last = requestLine!.lastIndexOf(' ');
  const method = requestLine!.slice(0, first);
  const target = requestLine!.slice(first + 1, last);
  const q = target.indexOf('?');
  const headers: Record<string, string[]> = {};
  let previous: string[] | undefined;
  for (const line of headerLines) {
    if (line === '') continue;
    if (/^[ \t]/.test(line)) {
      previous!.push(line);
      continue;
    }
    const colon = line.indexOf(':');
    const name = line.slice(0, colon);
    previous = headers[name] ??= [];
    previous.push(line.slice(colon + 1));
  }
  const length = Object.entries(headers).find(([n]) => n.toLowerCase() === 'content-length')?.[1][0];
  body = length === undefined ? body.replace(/\n$/, '') : body.slice(0, Number(length));
  return {
    method,
    path: q === -1 ? target : target.slice(0, q),
    query: q === -1 ? '' : target.slice(q + 1),
    headers,
    body,
  };
}

export interface SuiteCase {
  name: string;
  files: Map<string, string>;
  /** The "-unnormalized" cases are signed without path normalisation. */
  normalize: boolean;
  sessionToken?: string;
}

export function loadSuite(): SuiteCase[] {
  return readdirSync(SUITE_DIR, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => {
      const files = new Map<string, string>();
      for (const f of readdirSync(join(SUITE_DIR, d.name)))
        files.set(f, readFileSync(join(SUITE_DIR, d.name, f), 'utf8'));
      const context = files.has('context.json')
        ? (JSON.parse(files.get('context.json')!) as { normalize?: boolean; credentials: { token?: string } })
        : undefined;
      const c: SuiteCase = {
        name: d.name,
        files,
        normalize: context?.normalize ?? !d.name.endsWith('-unnormalized'),
      };
      const token = context?.credentials.token;
      if (token !== undefined) c.sessionToken = token;
      return c;
    })
    .sort((a, b) => (a.name < b.name ? -1 : 1));
}

/** Header value of the first header with that name, case-insensitively. */
export function header(request: ParsedRequest, name: string): string | undefined {
  return Object.entries(request.headers).find(([n]) => n.toLowerCase() === name)?.[1][0];
}

export function withoutHeaders(request: ParsedRequest, names: readonly string[]): ParsedRequest {
  const headers: Record<string, string[]> = {};
  for (const [n, v] of Object.entries(request.headers)) if (!names.includes(n.toLowerCase())) headers[n] = v;
  return { ...request, headers };
}

/** The query with the named parameters removed, order otherwise kept. */
export function withoutParams(query: string, names: readonly string[]): string {
  return query
    .split('&')
    .filter((p) => p !== '' && !names.includes(p.split('=')[0]!))
    .join('&');
}
