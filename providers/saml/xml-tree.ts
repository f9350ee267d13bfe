/**
 * The few XML documents Gatehouse signs, as a small element tree with two renderings: `serialise`
 * (what is sent) and `canonicalise`, Exclusive XML Canonicalization 1.0 without comments
 * (http://www.w3.org/2001/10/xml-exc-c14n#), which is what an XML signature digests and signs.
 * Signing from the tree spares parsing our own output back into a DOM for every signature.
 */

export interface XmlAttribute {
  /** Namespace prefix ('' for an unqualified attribute). */
  prefix: string;
  name: string;
  value: string;
}

export interface XmlElement {
  prefix: string;
  name: string;
  /** Namespace declarations on this element: prefix ('' for the default namespace) → URI. */
  namespaces: Record<string, string>;
  attributes: XmlAttribute[];
  children: XmlNode[];
}

/** A child: an element or character data. */
export type XmlNode = XmlElement | string;

/** Prefix → namespace URI in scope ('' is the default namespace; absent or '' when there is none). */
export type NamespaceScope = Readonly<Record<string, string>>;

/** `el('saml:Issuer', {}, [entityId])`: attributes in document order, undefined ones left out. */
export function el(
  qname: string,
  attributes: Record<string, string | undefined> = {},
  children: XmlNode[] = [],
  namespaces: Record<string, string> = {},
): XmlElement {
  const [prefix, name] = split(qname);
  return {
    prefix,
    name,
    namespaces,
    attributes: Object.entries(attributes).flatMap(([qualified, value]) => {
      if (value === undefined) return [];
      const [p, n] = split(qualified);
      return [{ prefix: p, name: n, value }];
    }),
    children,
  };
}

function split(qname: string): [string, string] {
  const colon = qname.indexOf(':');
  return colon < 0 ? ['', qname] : [qname.slice(0, colon), qname.slice(colon + 1)];
}

const qname = (prefix: string, name: string) => (prefix ? `${prefix}:${name}` : name);

/**
 * Characters XML 1.0 cannot carry at all (C0 controls other than tab, LF and CR, U+FFFE/U+FFFF,
 * lone surrogates) become U+FFFD, in both renderings alike, so a stray control character in a
 * directory value cannot make a document that peers refuse to parse.
 */
const NOT_XML_CHAR =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the characters XML cannot carry are what is replaced
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
const clean = (text: string) => text.replace(NOT_XML_CHAR, '\uFFFD');

// Sent form: tab, LF and CR as character references so a parser's attribute-value and line-end
// normalisation gives back exactly the value that was canonicalised and signed.
const SENT_ATTR: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
  '\t': '&#x9;',
  '\n': '&#xA;',
  '\r': '&#xD;',
};
const SENT_TEXT: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
  '\r': '&#xD;',
};
// Canonical form (C14N 1.0 §2.3, kept by exc-c14n).
const C14N_ATTR: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '"': '&quot;',
  '\t': '&#x9;',
  '\n': '&#xA;',
  '\r': '&#xD;',
};
const C14N_TEXT: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '\r': '&#xD;' };

const escaper = (table: Record<string, string>) => {
  const pattern = new RegExp(`[${Object.keys(table).join('')}]`, 'g');
  return (text: string) => clean(text).replace(pattern, (c) => table[c]!);
};
const sentAttr = escaper(SENT_ATTR);
const sentText = escaper(SENT_TEXT);
const c14nAttr = escaper(C14N_ATTR);
const c14nText = escaper(C14N_TEXT);

/** The document as sent: declarations and attributes as built, empty elements self-closed. */
export function serialise(element: XmlElement): string {
  let out = `<${qname(element.prefix, element.name)}`;
  for (const [prefix, uri] of Object.entries(element.namespaces)) {
    out += ` ${prefix ? `xmlns:${prefix}` : 'xmlns'}="${sentAttr(uri)}"`;
  }
  for (const a of element.attributes) out += ` ${qname(a.prefix, a.name)}="${sentAttr(a.value)}"`;
  if (!element.children.length) return `${out}/>`;
  out += '>';
  for (const child of element.children) out += typeof child === 'string' ? sentText(child) : serialise(child);
  return `${out}</${qname(element.prefix, element.name)}>`;
}

/** The scope inside `element`, given the scope around it. */
export function scopeOf(element: XmlElement, around: NamespaceScope): NamespaceScope {
  const declared = Object.keys(element.namespaces);
  return declared.length ? { ...around, ...element.namespaces } : around;
}

/**
 * Exclusive XML Canonicalization 1.0 of `element` as the apex of the node-set (no comments, no
 * InclusiveNamespaces prefix list). `around` is the namespace scope of its parent in the document.
 * A namespace node is output only on an element that visibly utilises it (its own prefix or one of
 * its attributes' prefixes) and whose output ancestors have not rendered it with that URI; prefixes
 * used only inside attribute values (`xsi:type="xs:string"`) are not visibly utilised.
 */
export function canonicalise(element: XmlElement, around: NamespaceScope = {}): string {
  return c14n(element, around, {});
}

function c14n(element: XmlElement, around: NamespaceScope, rendered: NamespaceScope): string {
  const scope = scopeOf(element, around);
  const used = new Set([element.prefix]);
  for (const a of element.attributes) if (a.prefix) used.add(a.prefix);
  let out = `<${qname(element.prefix, element.name)}`;
  let renderedHere: Record<string, string> | undefined;
  for (const prefix of [...used].sort()) {
    const uri = scope[prefix] ?? '';
    // The default namespace, when empty, needs xmlns="" only to undo a rendered non-empty one.
    if ((rendered[prefix] ?? '') === uri) continue;
    if (prefix && !uri) throw new Error(`namespace prefix ${prefix} is not declared`);
    out += ` ${prefix ? `xmlns:${prefix}` : 'xmlns'}="${c14nAttr(uri)}"`;
    renderedHere ??= { ...rendered };
    renderedHere[prefix] = uri;
  }
  const attributes = element.attributes
    .map((a) => ({ uri: a.prefix ? scope[a.prefix]! : '', a }))
    .sort((x, y) => compare(x.uri, y.uri) || compare(x.a.name, y.a.name));
  for (const { a } of attributes) out += ` ${qname(a.prefix, a.name)}="${c14nAttr(a.value)}"`;
  out += '>';
  for (const child of element.children) {
    out += typeof child === 'string' ? c14nText(child) : c14n(child, scope, renderedHere ?? rendered);
  }
  return `${out}</${qname(element.prefix, element.name)}>`;
}

/** Code-unit order, as C14N sorts (not locale order). */
const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
