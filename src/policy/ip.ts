// IPv4 and IPv6 addresses and CIDR ranges for IpAddress / NotIpAddress.
// An IPv4 address is a number, an IPv6 address a bigint: the type tells the family, and an address
// never matches a range of the other family.

export type Ip = number | bigint;

export interface Cidr {
  v6: boolean;
  network: Ip;
  mask: Ip;
}

const V4 =
  /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;
const HEXGROUP = /^[0-9a-fA-F]{1,4}$/;

export function parseIpv4(s: string): number | undefined {
  const m = V4.exec(s);
  if (!m) return undefined;
  return ((+m[1]! << 24) | (+m[2]! << 16) | (+m[3]! << 8) | +m[4]!) >>> 0;
}

export function parseIpv6(s: string): bigint | undefined {
  if (s.length < 2 || s.length > 45) return undefined;
  const halves = s.split('::');
  if (halves.length > 2) return undefined;
  const groups = (part: string): number[] | undefined => {
    if (part === '') return [];
    const out: number[] = [];
    const pieces = part.split(':');
    for (let i = 0; i < pieces.length; i++) {
      const p = pieces[i]!;
      if (i === pieces.length - 1 && p.includes('.')) {
        const v4 = parseIpv4(p);
        if (v4 === undefined) return undefined;
        out.push(v4 >>> 16, v4 & 0xffff);
      } else if (HEXGROUP.test(p)) out.push(Number.parseInt(p, 16));
      else return undefined;
    }
    return out;
  };
  const head = groups(halves[0]!);
  const tail = halves.length === 2 ? groups(halves[1]!) : [];
  if (!head || !tail) return undefined;
  // An embedded IPv4 address may only end the address.
  if (halves.length === 2 && halves[0]!.includes('.')) return undefined;
  const count = head.length + tail.length;
  if (halves.length === 1 ? count !== 8 : count > 7) return undefined;
  const all = [...head, ...new Array<number>(8 - count).fill(0), ...tail];
  let n = 0n;
  for (const g of all) n = (n << 16n) | BigInt(g);
  return n;
}

/** Parses an address of either family. */
export function parseIp(s: string): Ip | undefined {
  return s.includes(':') ? parseIpv6(s) : parseIpv4(s);
}

/** Parses `203.0.113.0/24`, `2001:DB8:1234:5678::/64` or a bare address (a /32 or /128 range). */
export function parseCidr(s: string): Cidr | undefined {
  const slash = s.indexOf('/');
  const addr = slash < 0 ? s : s.slice(0, slash);
  const prefixText = slash < 0 ? undefined : s.slice(slash + 1);
  if (prefixText !== undefined && !/^(0|[1-9]\d{0,2})$/.test(prefixText)) return undefined;
  const ip = parseIp(addr);
  if (ip === undefined) return undefined;
  if (typeof ip === 'number') {
    const prefix = prefixText === undefined ? 32 : Number(prefixText);
    if (prefix > 32) return undefined;
    const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
    return { v6: false, network: (ip & mask) >>> 0, mask };
  }
  const prefix = prefixText === undefined ? 128 : Number(prefixText);
  if (prefix > 128) return undefined;
  const all = (1n << 128n) - 1n;
  const mask = prefix === 0 ? 0n : (all << BigInt(128 - prefix)) & all;
  return { v6: true, network: ip & mask, mask };
}

export function cidrContains(c: Cidr, ip: Ip): boolean {
  if (typeof ip === 'number') return !c.v6 && (ip & (c.mask as number)) >>> 0 === c.network;
  return c.v6 && (ip & (c.mask as bigint)) === c.network;
}
