// RFC 4515 filter building. Every value from outside is escaped here, exactly once, where the
// filter is built; configured filters are validated once and then used as opaque strings.

const ATTRIBUTE = /^(?:[A-Za-z][A-Za-z0-9-]*|[0-9]+(?:\.[0-9]+)+)(?:;[A-Za-z0-9-]+)*$/;
const OID = /^[0-9]+(?:\.[0-9]+)+$/;

/** Escapes an assertion value: `* ( ) \ NUL` and every non-ASCII byte (as UTF-8) become `\XX`. */
export function escapeValue(value: string | Uint8Array): string {
  const bytes = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
  let out = '';
  for (const b of bytes) {
    // 0x2a *, 0x28 (, 0x29 ), 0x5c \, 0x00 NUL, and control / non-ASCII bytes.
    if (b === 0x2a || b === 0x28 || b === 0x29 || b === 0x5c || b < 0x20 || b > 0x7e) {
      out += '\\' + b.toString(16).padStart(2, '0');
    } else {
      out += String.fromCharCode(b);
    }
  }
  return out;
}

/** Escapes every byte: for binary values such as objectGUID. */
export function escapeBytes(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) out += '\\' + b.toString(16).padStart(2, '0');
  return out;
}

export function isAttributeName(name: string): boolean {
  return ATTRIBUTE.test(name);
}

function attr(name: string): string {
  if (!isAttributeName(name)) throw new Error(`invalid LDAP attribute name: ${JSON.stringify(name)}`);
  return name;
}

export function eq(attribute: string, value: string | Uint8Array): string {
  return `(${attr(attribute)}=${escapeValue(value)})`;
}

export function eqBytes(attribute: string, bytes: Uint8Array): string {
  return `(${attr(attribute)}=${escapeBytes(bytes)})`;
}

export function ge(attribute: string, value: string): string {
  return `(${attr(attribute)}>=${escapeValue(value)})`;
}

export function present(attribute: string): string {
  return `(${attr(attribute)}=*)`;
}

/** Extensible match, e.g. AD's LDAP_MATCHING_RULE_IN_CHAIN: `(member:1.2.840.113556.1.4.1941:=<dn>)`. */
export function extensible(attribute: string, rule: string, value: string): string {
  if (!OID.test(rule)) throw new Error(`invalid matching rule OID: ${JSON.stringify(rule)}`);
  return `(${attr(attribute)}:${rule}:=${escapeValue(value)})`;
}

export const IN_CHAIN = '1.2.840.113556.1.4.1941';

/** `&` of filters; empty parts are dropped, a single part is returned as is. */
export function and(...filters: (string | null | undefined)[]): string {
  const parts = filters.filter((f): f is string => !!f);
  if (parts.length === 0) return '(objectClass=*)';
  return parts.length === 1 ? parts[0]! : `(&${parts.join('')})`;
}

/** `|` of filters; an empty list matches nothing (`(|)` is the RFC 4526 absolute false). */
export function or(...filters: (string | null | undefined)[]): string {
  const parts = filters.filter((f): f is string => !!f);
  if (parts.length === 1) return parts[0]!;
  return `(|${parts.join('')})`;
}

export function not(filter: string): string {
  return `(!${filter})`;
}
