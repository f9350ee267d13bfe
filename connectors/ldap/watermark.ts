// High-water marks for incremental sync. AD: the DC's highestCommittedUSN, valid on that DC only
// (recorded by dsServiceName). OpenLDAP: the time of the last write (contextCSN of the naming
// context), compared with modifyTimestamp.
import type { Client } from 'ldapts';
import { normalizeDn } from './dn.ts';
import { readRootDSE, searchOnce } from './search.ts';
import type { Settings } from './settings.ts';

export type Mark = { v: 1; d: 'ad'; server: string; usn: string } | { v: 1; d: 'ol'; time: string };

export function encodeMark(m: Mark): string {
  return JSON.stringify(m);
}

export function decodeMark(text: string): Mark | null {
  try {
    const m = JSON.parse(text) as Partial<Mark>;
    if (m.v !== 1) return null;
    if (m.d === 'ad' && typeof m.server === 'string' && /^\d+$/.test(String(m.usn))) return m as Mark;
    if (m.d === 'ol' && typeof m.time === 'string' && /^\d{14}Z$/.test(m.time)) return m as Mark;
    return null;
  } catch {
    return null;
  }
}

/** The current mark of the server this client talks to; read before enumerating. */
export async function currentMark(client: Client, settings: Settings): Promise<Mark> {
  if (settings.dialect === 'active-directory') {
    const dse = await readRootDSE(client, ['highestCommittedUSN', 'dsServiceName']);
    const usn = dse['highestcommittedusn']?.[0];
    const server = dse['dsservicename']?.[0];
    if (!usn || !server) throw new Error('rootDSE has no highestCommittedUSN / dsServiceName');
    return { v: 1, d: 'ad', server, usn };
  }
  const dse = await readRootDSE(client, ['namingContexts']);
  const base = normalizeDn(settings.user.baseDN);
  const context = (dse['namingcontexts'] ?? [])
    .filter((nc) => nc && (base === normalizeDn(nc) || base.endsWith(`,${normalizeDn(nc)}`)))
    .sort((a, b) => b.length - a.length)[0];
  if (!context) throw new Error(`no naming context holds ${settings.user.baseDN}`);
  const [e] = await searchOnce(client, {
    base: context,
    scope: 'base',
    filter: '(objectClass=*)',
    attributes: ['contextCSN'],
  });
  const csns = (e?.attrs.get('contextcsn') ?? []).map(String).sort();
  const latest = csns.at(-1);
  // CSN: 20240101120000.123456Z#000000#000#000000 → 20240101120000Z (modifyTimestamp has seconds).
  if (latest) return { v: 1, d: 'ol', time: `${latest.slice(0, 14)}Z` };
  // No contextCSN (no syncprov overlay): our clock, minus an allowance for clock skew.
  return { v: 1, d: 'ol', time: generalizedTime(Date.now() - CLOCK_SKEW_MS) };
}

const CLOCK_SKEW_MS = 10 * 60_000;

function generalizedTime(ms: number): string {
  return `${new Date(ms).toISOString().replace(/[-:T]/g, '').slice(0, 14)}Z`;
}

/** Filter part selecting entries changed since the mark (inclusive at the edge for timestamps). */
export function changedSince(m: Mark): { attribute: string; value: string } {
  return m.d === 'ad'
    ? { attribute: 'uSNChanged', value: String(BigInt(m.usn) + 1n) }
    : { attribute: 'modifyTimestamp', value: m.time };
}
