// RFC 3986 percent-encoding as SigV4 defines it: every byte except the unreserved
// set A-Z a-z 0-9 - . _ ~ becomes %XY with upper-case hex. Works on UTF-8 bytes so
// that non-ASCII text and already-decoded binary values encode the same way.

const HEX = '0123456789ABCDEF';
const UNRESERVED = new Uint8Array(256);
for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~') {
  UNRESERVED[c.charCodeAt(0)] = 1;
}

// Value of an upper-case hex digit by char code, -1 otherwise.
const UPPER_HEX = new Int8Array(128).fill(-1);
for (const [i, c] of [...HEX].entries()) UPPER_HEX[c.charCodeAt(0)] = i;

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

/**
 * True when `raw` is already canonical: unreserved characters (and '/' if allowed) plus
 * upper-case %XY escapes of bytes that must be escaped. What the SDKs send is, so the
 * verifier can skip decoding and re-encoding it.
 */
export function isCanonicalEncoded(raw: string, allowSlash = false): boolean {
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    if (c < 128 && UNRESERVED[c] === 1) continue;
    if (allowSlash && c === 0x2f) continue;
    if (c !== 0x25 || i + 2 >= raw.length) return false;
    const hi = UPPER_HEX[raw.charCodeAt(i + 1)] ?? -1;
    const lo = UPPER_HEX[raw.charCodeAt(i + 2)] ?? -1;
    if (hi < 0 || lo < 0 || UNRESERVED[hi * 16 + lo] === 1) return false;
    i += 2;
  }
  return true;
}

/** Re-encodes a raw component canonically, whatever encoding the client chose. */
export function normalizeComponent(raw: string): string {
  if (isCanonicalEncoded(raw)) return raw;
  return encodeBytes(percentDecode(raw));
}

/** Decoded text of a raw component (for reading X-Amz-* query parameters). */
export function decodeComponent(raw: string): string {
  if (!raw.includes('%')) return raw;
  try {
    return decodeURIComponent(raw);
  } catch {
    // Malformed escapes or UTF-8: decode leniently, as the canonical form does.
    return percentDecode(raw).toString('utf8');
  }
}
