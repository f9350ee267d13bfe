// Thin search helpers over ldapts: our filter parser, raw entries, paging.
import type { Client } from 'ldapts';
import { type RawEntry, toRaw } from './entry.ts';
import { parseFilter } from './filter-parse.ts';

export interface SearchSpec {
  base: string;
  scope: 'base' | 'one' | 'sub';
  filter: string;
  attributes: string[];
  binary?: string[];
}

/** One unpaged search. With sizeLimit, a server "size limit exceeded" returns what came (ldapts). */
export async function searchOnce(client: Client, spec: SearchSpec, sizeLimit = 0): Promise<RawEntry[]> {
  const r = await client.search(spec.base, {
    scope: spec.scope,
    filter: parseFilter(spec.filter),
    attributes: spec.attributes,
    explicitBufferAttributes: spec.binary ?? [],
    sizeLimit,
  });
  return r.searchEntries.map(toRaw);
}

/** Paged search (RFC 2696). Each yielded array is one page; errors (limits included) are thrown. */
export async function* searchPages(
  client: Client,
  spec: SearchSpec,
  pageSize: number,
): AsyncGenerator<RawEntry[]> {
  const pages = client.searchPaginated(spec.base, {
    scope: spec.scope,
    filter: parseFilter(spec.filter),
    attributes: spec.attributes,
    explicitBufferAttributes: spec.binary ?? [],
    paged: { pageSize },
  });
  for await (const page of pages) yield page.searchEntries.map(toRaw);
}

export async function readRootDSE(client: Client, attributes: string[]): Promise<Record<string, string[]>> {
  const [e] = await searchOnce(client, { base: '', scope: 'base', filter: '(objectClass=*)', attributes });
  const out: Record<string, string[]> = {};
  for (const [k, v] of e?.attrs ?? []) out[k] = v.map(String);
  return out;
}
