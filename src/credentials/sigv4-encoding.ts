// RFC 3986 percent-encoding as SigV4 defines it: every byte except the unreserved
// set A-Z a-z 0-9 - . _ ~ becomes %XY with upper-case hex. Works on UTF-8 bytes so
// that non-ASCII text and already-decoded binary values encode the same way.

const HEX = '0123456789ABCDEF';
const UNRESERVED = new Uint8Array(256);
for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~') {
  UNRESERVED[c.charCodeAt(0)] = 1;
}

const ALL_UNRESERVED = /^[A-Za-z0-9\-._~]*$/;
const ESCAPE = /%[0-9A-Fa-f]{2}/g;

/** Percent-encodes the bytes; `keepSlash` leaves '/' as is (for whole paths). */
export function encodeBytes(bytes: Uint8Array, keepSlash = false): string {
  let out = '';
  for (const b of bytes) {
    if (UNRESERVED[b] === 1 || (keepSlash && b === 0x2f)) out += String.fromCharCode(b);
    else out += '%' + HEX[b >> 4] + HEX[b & 15];
  }
  return out;
}

/** Percent-encodes the UTF-8 form of a string. */
export function uriEncode(value: string, keepSlash = false): string {
  if (ALL_UNRESERVED.test(value)) return value;
  return encodeBytes(Buffer.from(value, 'utf8'), keepSlash);
}

/**
 * Bytes of a raw URI component: valid %XY escapes are decoded, anything else
 * (including a stray '%' and '+') is taken literally. Never throws.
 */
export function percentDecode(raw: string): Buffer {
  if (!raw.includes('%')) return Buffer.from(raw, 'utf8');
  const parts: Buffer[] = [];
  let last = 0;
  for (const m of raw.matchAll(ESCAPE)) {
    if (m.index > last) parts.push(Buffer.from(raw.slice(last, m.index), 'utf8'));
    parts.push(Buffer.of(Number.parseInt(m[0].slice(1), 16)));
    last = m.index + 3;
  }
  if (last < raw.length) parts.push(Buffer.from(raw.slice(last), 'utf8'));
  return Buffer.concat(parts);
}

/** Re-encodes a raw component canonically, whatever encoding the client chose. */
export function normalizeComponent(raw: string): string {
  if (ALL_UNRESERVED.test(raw)) return raw;
  return encodeBytes(percentDecode(raw));
}

/** Decoded text of a raw component (for reading X-Amz-* query parameters). */
export function decodeComponent(raw: string): string {
  return percentDecode(raw).toString('utf8');
}
