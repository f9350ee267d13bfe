// Validation of IAM identity policies (IAM User Guide, "Grammar of the IAM JSON policy language").
// Every problem is reported, each with the JSON path it concerns; bad input never throws.

import { parseDate } from './date.ts';
import { parseCidr } from './ip.ts';
import { childPath, isObject, type Json, type JsonObject, parseJson, quote, ROOT } from './json.ts';
import { allowsVariables, type Category, parseOperator } from './operators.ts';
import { parseTemplate } from './template.ts';
import type { PolicyDocument, PolicyError, PolicyKind, ValidationResult } from './types.ts';

/** Maximum non-whitespace characters per kind (IAM and STS quotas). */
export const SIZE_LIMITS: Readonly<Record<PolicyKind, number>> = Object.freeze({
  inline: 10_240,
  managed: 6_144,
  boundary: 6_144, // a boundary is a managed policy
  session: 2_048,
});

// Text far beyond any limit is not parsed at all.
const MAX_TEXT = 256 * 1024;

export const VERSIONS = ['2012-10-17', '2008-10-17'] as const;

const TOP_KEYS = ['Version', 'Id', 'Statement'];
const STATEMENT_KEYS = [
  'Sid',
  'Effect',
  'Action',
  'NotAction',
  'Resource',
  'NotResource',
  'Condition',
  'Principal',
  'NotPrincipal',
];

const SID = /^[A-Za-z0-9]*$/;
const ACTION = /^([^:]*):(.*)$/;
const SERVICE = /^[A-Za-z0-9-]+$/;
const ACTION_NAME = /^[A-Za-z0-9_.*?-]+$/;
const CONDITION_KEY = /^[A-Za-z0-9_.-]+:\S(.*\S)?$/;
const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;
const BOOLEAN = /^(true|false)$/i;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Validates policy text: JSON syntax, duplicate keys, size and grammar. */
export function validatePolicy(text: string, kind: PolicyKind): ValidationResult {
  if (typeof text !== 'string') return fail([{ path: ROOT, message: 'policy text must be a string' }]);
  const errors: PolicyError[] = [];
  const size = nonWhitespaceLength(text);
  const limit = SIZE_LIMITS[kind];
  if (limit === undefined)
    return fail([{ path: ROOT, message: `unknown policy kind ${quote(String(kind))}` }]);
  if (size > limit) {
    errors.push({
      path: ROOT,
      message: `policy has ${size.toLocaleString('en-US')} non-whitespace characters; the limit for a ${kind} policy is ${limit.toLocaleString('en-US')}`,
    });
    if (text.length > MAX_TEXT) return fail(errors);
  }
  const parsed = parseJson(text);
  errors.push(...parsed.errors);
  if (!parsed.ok) return fail(errors);
  checkDocument(parsed.value, errors);
  if (errors.length > 0) return fail(errors);
  return { ok: true, policy: toPlain(parsed.value) as unknown as PolicyDocument };
}

/** Validates an already-parsed document (e.g. from YAML); its size is that of its compact JSON. */
export function validatePolicyDocument(doc: unknown, kind: PolicyKind): ValidationResult {
  let text: string | undefined;
  try {
    text = JSON.stringify(doc);
  } catch (e) {
    return fail([{ path: ROOT, message: `policy is not JSON data: ${(e as Error).message}` }]);
  }
  if (text === undefined) return fail([{ path: ROOT, message: 'policy must be a JSON object' }]);
  return validatePolicy(text, kind);
}

/** Grammar errors of a parsed document, without the size check. */
export function documentErrors(doc: unknown): PolicyError[] {
  let text: string | undefined;
  try {
    text = JSON.stringify(doc);
  } catch (e) {
    return [{ path: ROOT, message: `policy is not JSON data: ${(e as Error).message}` }];
  }
  if (text === undefined) return [{ path: ROOT, message: 'policy must be a JSON object' }];
  const parsed = parseJson(text);
  if (!parsed.ok) return parsed.errors;
  const errors: PolicyError[] = [];
  checkDocument(parsed.value, errors);
  return errors;
}

export function nonWhitespaceLength(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 32 || c === 9 || c === 10 || c === 13) continue;
    if (c > 127 && /\s/.test(text[i]!)) continue;
    n++;
  }
  return n;
}

function fail(errors: PolicyError[]): ValidationResult {
  return { ok: false, errors };
}

function checkDocument(root: Json, errors: PolicyError[]): void {
  const err = (path: string, message: string): void => {
    errors.push({ path, message });
  };
  if (!isObject(root)) {
    err(ROOT, 'policy must be a JSON object');
    return;
  }
  unknownKeys(root, '', TOP_KEYS, err);
  let variables = false; // Version absent means 2008-10-17: policy variables are plain text
  if ('Version' in root) {
    const v = root['Version'];
    if (v === '2012-10-17') variables = true;
    else if (v !== '2008-10-17') err('Version', `must be "2012-10-17" or "2008-10-17"`);
  }
  if ('Id' in root && typeof root['Id'] !== 'string') err('Id', 'must be a string');
  if (!('Statement' in root)) {
    err(ROOT, 'missing Statement');
    return;
  }
  const st = root['Statement'];
  const sids = new Map<string, string>();
  if (Array.isArray(st)) {
    if (st.length === 0) err('Statement', 'must contain at least one statement');
    st.forEach((s, i) => {
      checkStatement(s, `Statement[${i}]`, variables, sids, err);
    });
  } else if (isObject(st)) {
    checkStatement(st, 'Statement', variables, sids, err);
  } else err('Statement', 'must be a statement object or an array of statements');
}

type Report = (path: string, message: string) => void;

function unknownKeys(obj: JsonObject, path: string, allowed: string[], err: Report): void {
  for (const key of Object.keys(obj)) {
    if (allowed.includes(key)) continue;
    const guess = allowed.find((a) => a.toLowerCase() === key.toLowerCase());
    const hint = guess ? ` (element names are case-sensitive: did you mean ${guess}?)` : '';
    err(childPath(path, key), `unknown element ${quote(key)}${hint}`);
  }
}

function checkStatement(
  s: Json,
  path: string,
  variables: boolean,
  sids: Map<string, string>,
  err: Report,
): void {
  if (!isObject(s)) {
    err(path, 'statement must be a JSON object');
    return;
  }
  unknownKeys(s, path, STATEMENT_KEYS, err);
  for (const key of ['Principal', 'NotPrincipal']) {
    if (key in s) {
      err(
        childPath(path, key),
        `${key} is not allowed in an identity-based policy (only in resource-based and trust policies)`,
      );
    }
  }
  if ('Sid' in s) {
    const sid = s['Sid'];
    const p = childPath(path, 'Sid');
    if (typeof sid !== 'string') err(p, 'must be a string');
    else if (!SID.test(sid)) err(p, 'may contain only letters A-Z, a-z and digits 0-9');
    else if (sid !== '') {
      const first = sids.get(sid);
      if (first !== undefined) err(p, `duplicate Sid ${quote(sid)} (also in ${first})`);
      else sids.set(sid, path);
    }
  }
  if (!('Effect' in s)) err(path, 'missing Effect');
  else {
    const e = s['Effect'];
    if (e !== 'Allow' && e !== 'Deny') {
      const hint = typeof e === 'string' && /^(allow|deny)$/i.test(e) ? ' (values are case-sensitive)' : '';
      err(childPath(path, 'Effect'), `must be "Allow" or "Deny"${hint}`);
    }
  }
  exactlyOne(s, path, 'Action', 'NotAction', err, (v, p) => checkAction(v, p, err));
  exactlyOne(s, path, 'Resource', 'NotResource', err, (v, p) => checkResource(v, p, variables, err));
  if ('Condition' in s) checkCondition(s['Condition']!, childPath(path, 'Condition'), variables, err);
}

function exactlyOne(
  s: JsonObject,
  path: string,
  a: string,
  b: string,
  err: Report,
  check: (value: string, path: string) => void,
): void {
  const hasA = a in s;
  const hasB = b in s;
  if (hasA && hasB) {
    err(path, `has both ${a} and ${b}; use exactly one`);
    return;
  }
  if (!hasA && !hasB) {
    err(path, `missing ${a} or ${b}`);
    return;
  }
  const key = hasA ? a : b;
  const p = childPath(path, key);
  const v = s[key]!;
  if (typeof v === 'string') check(v, p);
  else if (Array.isArray(v)) {
    if (v.length === 0) err(p, 'must not be empty');
    v.forEach((item, i) => {
      const ip = childPath(p, i);
      if (typeof item === 'string') check(item, ip);
      else err(ip, 'must be a string');
    });
  } else err(p, 'must be a string or an array of strings');
}

function checkAction(a: string, path: string, err: Report): void {
  if (a === '*') return;
  const m = ACTION.exec(a);
  if (!m) {
    err(path, `${quote(a)} is not an action: expected "service:ActionName" or "*"`);
    return;
  }
  const [, service, name] = m as unknown as [string, string, string];
  if (/[*?]/.test(service)) err(path, `the service prefix of ${quote(a)} cannot contain wildcards`);
  else if (!SERVICE.test(service))
    err(path, `${quote(service)} is not a service prefix (letters, digits and -)`);
  if (!ACTION_NAME.test(name)) {
    err(path, `${quote(name)} is not an action name (letters, digits, _ . - and the wildcards * ?)`);
  }
}

/** Splits an ARN at its first five colons: [arn, partition, service, region, account, resource]. */
export function splitArn(s: string): string[] {
  const segs: string[] = [];
  let from = 0;
  for (let k = 0; k < 5; k++) {
    const j = s.indexOf(':', from);
    if (j < 0) break;
    segs.push(s.slice(from, j));
    from = j + 1;
  }
  segs.push(s.slice(from));
  return segs;
}

function checkResource(r: string, path: string, variables: boolean, err: Report): void {
  if (r === '*') return;
  if (!r.startsWith('arn:')) {
    err(path, `${quote(r)} is not "*" or an ARN (arn:partition:service:region:account:resource)`);
    return;
  }
  const t = parseTemplate(r, variables);
  if (t.error) err(path, t.error);
  const segs = splitArn(r);
  // Everything before the resource part (the whole ARN when it has fewer than six segments).
  const head = segs.length === 6 ? r.slice(0, r.length - segs[5]!.length) : r;
  if (variables && head.includes('${')) {
    err(path, 'policy variables are allowed only in the resource part of an ARN (after the fifth colon)');
    return;
  }
  if (segs.length < 6 && !(segs.length >= 3 && r.endsWith('*'))) {
    err(path, `${quote(r)} is not an ARN: expected arn:partition:service:region:account:resource`);
    return;
  }
  if (segs[1] === '') err(path, 'the partition of the ARN is empty');
  const service = segs[2] ?? '';
  if (service === '') err(path, 'the service of the ARN is empty');
  else if (/[*?]/.test(service)) err(path, 'the service segment of an ARN cannot contain wildcards');
  if (segs.length === 6 && segs[5] === '') err(path, 'the resource part of the ARN is empty');
}

function checkCondition(c: Json, path: string, variables: boolean, err: Report): void {
  if (!isObject(c)) {
    err(path, 'must be an object of condition operators');
    return;
  }
  for (const opName of Object.keys(c)) {
    const opPath = childPath(path, opName);
    const parsed = parseOperator(opName);
    if ('error' in parsed) {
      err(opPath, parsed.error);
      continue;
    }
    const block = c[opName]!;
    if (!isObject(block)) {
      err(opPath, 'must be an object of condition keys and values');
      continue;
    }
    const keys = Object.keys(block);
    if (keys.length === 0) err(opPath, 'must name at least one condition key');
    for (const key of keys) {
      const keyPath = childPath(opPath, key);
      if (!CONDITION_KEY.test(key)) {
        err(keyPath, `${quote(key)} is not a condition key: expected "service:KeyName"`);
        continue;
      }
      const v = block[key]!;
      if (Array.isArray(v)) {
        if (v.length === 0) err(keyPath, 'must have at least one value');
        v.forEach((item, i) => {
          checkValue(item, childPath(keyPath, i), parsed.base.category, variables, err);
        });
      } else checkValue(v, keyPath, parsed.base.category, variables, err);
    }
  }
}

function checkValue(v: Json, path: string, category: Category, variables: boolean, err: Report): void {
  if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') {
    err(path, 'condition values must be strings, numbers or booleans');
    return;
  }
  const s = String(v);
  const vars = variables && allowsVariables(category);
  const t = parseTemplate(s, vars);
  if (t.error) {
    err(path, t.error);
    return;
  }
  switch (category) {
    case 'Numeric':
      if (!NUMBER.test(s)) err(path, 'not a number');
      break;
    case 'Date':
      if (Number.isNaN(parseDate(s)))
        err(path, 'not a date (ISO 8601, e.g. 2020-01-01T00:00:00Z, or epoch seconds)');
      break;
    case 'Bool':
      if (!t.hasVariables && !BOOLEAN.test(s)) err(path, 'not a boolean: expected "true" or "false"');
      break;
    case 'Null':
      if (!BOOLEAN.test(s))
        err(path, 'Null takes "true" (the key is absent) or "false" (the key is present)');
      break;
    case 'Binary':
      if (s === '' || !BASE64.test(s)) err(path, 'not base64-encoded binary');
      break;
    case 'Ip':
      if (!parseCidr(s)) err(path, 'not an IP address or CIDR range (e.g. 203.0.113.0/24, 2001:DB8::/32)');
      break;
    case 'Arn':
      if (!t.hasVariables && (!s.startsWith('arn:') || splitArn(s).length < 6)) {
        err(path, 'not an ARN: expected arn:partition:service:region:account:resource');
      }
      break;
    default:
      break;
  }
}

/** Copies parsed JSON (prototype-free objects) into ordinary objects. Valid policies have no "__proto__" keys. */
function toPlain(v: Json): unknown {
  if (Array.isArray(v)) return v.map(toPlain);
  if (isObject(v)) {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v)) out[k] = toPlain(v[k]!);
    return out;
  }
  return v;
}
