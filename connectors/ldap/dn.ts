// DN comparison key: attribute types and values lowercased, spacing and escaping made canonical.
// Good for the case-insensitive attributes DNs are made of (cn, ou, dc, uid, o, l, st, c).

const SPECIAL = new Set([',', '+', '"', '\\', '<', '>', ';', '=']);

export function normalizeDn(dn: string): string {
  return splitUnescaped(dn, ',')
    .map((rdn) =>
      splitUnescaped(rdn, '+')
        .map((ava) => {
          const eqAt = indexUnescaped(ava, '=');
          if (eqAt < 0) return ava.trim().toLowerCase();
          const type = ava.slice(0, eqAt).trim().toLowerCase();
          return `${type}=${canonicalValue(ava.slice(eqAt + 1).trim())}`;
        })
        .sort()
        .join('+'),
    )
    .join(',');
}

function canonicalValue(raw: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i]!;
    if (c === '\\' && i + 1 < raw.length) {
      const hex = raw.slice(i + 1, i + 3);
      if (/^[0-9A-Fa-f]{2}$/.test(hex)) {
        bytes.push(Number.parseInt(hex, 16));
        i += 2;
      } else {
        bytes.push(...Buffer.from(raw[i + 1]!, 'utf8'));
        i += 1;
      }
    } else {
      bytes.push(...Buffer.from(c, 'utf8'));
    }
  }
  const value = Buffer.from(bytes).toString('utf8').toLowerCase();
  let out = '';
  for (let i = 0; i < value.length; i++) {
    const c = value[i]!;
    const edgeSpace = c === ' ' && (i === 0 || i === value.length - 1);
    out += SPECIAL.has(c) || edgeSpace || (c === '#' && i === 0) ? `\\${c}` : c;
  }
  return out;
}

function indexUnescaped(s: string, ch: string): number {
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '\\') i++;
    else if (s[i] === ch) return i;
  }
  return -1;
}

function splitUnescaped(s: string, ch: string): string[] {
  const parts: string[] = [];
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '\\') i++;
    else if (s[i] === ch) {
      parts.push(s.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(s.slice(start));
  return parts;
}
