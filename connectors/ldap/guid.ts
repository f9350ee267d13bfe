// AD objectGUID: 16 bytes, the first three fields little-endian. Canonical form is the
// lowercase string Windows shows ({...} without braces).

const HEX = (b: number): string => b.toString(16).padStart(2, '0');
const ORDER = [3, 2, 1, 0, -1, 5, 4, -1, 7, 6, -1, 8, 9, -1, 10, 11, 12, 13, 14, 15];
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function guidToString(bytes: Uint8Array): string {
  if (bytes.length !== 16) throw new Error(`objectGUID must be 16 bytes, got ${bytes.length}`);
  return ORDER.map((i) => (i < 0 ? '-' : HEX(bytes[i]!))).join('');
}

/** The 16 raw bytes for a canonical GUID string, or null when it is not one. */
export function guidToBytes(guid: string): Uint8Array | null {
  if (!GUID.test(guid)) return null;
  const hex = guid.replaceAll('-', '');
  const text = Uint8Array.from({ length: 16 }, (_, i) => Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16));
  const out = new Uint8Array(16);
  ORDER.filter((i) => i >= 0).forEach((src, k) => {
    out[src] = text[k]!;
  });
  return out;
}

export function isUuid(s: string): boolean {
  return GUID.test(s);
}
