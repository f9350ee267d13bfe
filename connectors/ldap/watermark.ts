// High-water marks for incremental sync. AD: the DC's highestCommittedUSN, valid on that DC only
// (recorded by dsServiceName). OpenLDAP: the CSN of the last write (contextCSN of the naming
// context), compared with entryCSN; without syncprov there is no contextCSN and our clock (minus
// a skew allowance) is compared with modifyTimestamp instead.
import type { Client } from 'ldapts';
import { normalizeDn } from './dn.ts';
import { readRootDSE, searchOnce } from './search.ts';
import type { Settings } from './settings.ts';

export type Mark =
  | { v: 1; d: 'ad'; server: string; usn: string }
  | { v: 1; d: 'ol'; time: string; csn?: string };

const CSN = /^\d{14}\.\d{6}Z#[0-9a-f]{6}#[0-9a-f]{3}#[0-9a-f]{6}$/;

export function encodeMark(m: Mark): string {
  return JSON.stringify(m);
}

export function decodeMark(text: string): Mark | null {
  try {
    const m = JSON.parse(text) as Partial<Mark>;
    if (m.v !== 1) return null;
    if (m.d === 'ad' && typeof m.server === 'string' && /^\d+$/.test(String(m.usn))) return m as Mark;
    if (m.d === 'ol' && typeof m.time === 'string' && /^\d{14}Z$/.test(m.time)) {
      if (m.csn !== undefined && !(typeof m.csn === 'string' && CSN.test(m.csn))) return null;
      return m as Mark;
    }
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
  if (latest && CSN.test(latest)) return { v: 1, d: 'ol', time: `${latest.slice(0, 14)}Z`, csn: latest };
  // No contextCSN (no syncprov overlay): our clock, minus an allowance for clock skew.
  return { v: 1, d: 'ol', time: generalizedTime(Date.now() - CLOCK_SKEW_MS) };
}

const CLOCK_SKEW_MS = 10 * 60_000;

function generalizedTime(ms: number): string {
  return `${new Date(ms).toISOString().replace(/[-:T]/g, '').slice(0, 14)}Z`;
}

/** Filter part selecting entries changed since the mark (inclusive at the edge for CSNs and times). */
export function changedSince(m: Mark): { attribute: string; value: string } {
  if (m.d === 'ad') return { attribute: 'uSNChanged', value: String(BigInt(m.usn) + 1n) };
  return m.csn ? { attribute: 'entryCSN', value: m.csn } : { attribute: 'modifyTimestamp', value: m.time };
}
