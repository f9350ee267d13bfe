/** STS's XML namespace (awsQuery protocol, API version 2011-06-15). */
export const STS_NAMESPACE = 'https://sts.amazonaws.com/doc/2011-06-15/';

/** An element's content: text, nested elements (absent ones are left out), or repeated `member`s. */
export type XmlValue = string | number | boolean | undefined | XmlValue[] | { [name: string]: XmlValue };

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
};
export const escapeXml = (text: string): string => text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);

function content(value: XmlValue): string {
  if (value === undefined) return '';
  if (Array.isArray(value)) return value.map((item) => element('member', item)).join('');
  if (typeof value === 'object')
    return Object.entries(value)
      .map(([name, child]) => element(name, child))
      .join('');
  return escapeXml(String(value));
}

export function element(name: string, value: XmlValue): string {
  if (value === undefined) return '';
  return `<${name}>${content(value)}</${name}>`;
}

/** `<ActionResponse xmlns=…><ActionResult>…</ActionResult><ResponseMetadata>…</ResponseMetadata>`. */
export function queryResponse(action: string, result: XmlValue, requestId: string): string {
  return (
    `<${action}Response xmlns="${STS_NAMESPACE}">` +
    element(`${action}Result`, result ?? '') +
    element('ResponseMetadata', { RequestId: requestId }) +
    `</${action}Response>\n`
  );
}

/** AWS's query-protocol error document. */
export function queryError(
  type: 'Sender' | 'Receiver',
  code: string,
  message: string,
  requestId: string,
): string {
  return (
    `<ErrorResponse xmlns="${STS_NAMESPACE}">` +
    element('Error', { Type: type, Code: code, Message: message }) +
    element('RequestId', requestId) +
    '</ErrorResponse>\n'
  );
}
