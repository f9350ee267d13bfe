import type { AttrPath } from '../../src/scim/filter-ast.ts';
import type { Projection } from './query.ts';
import type { Json } from './user-resource.ts';

/**
 * `attributes` / `excludedAttributes` (RFC 7644 §3.4.2.5) applied to a rendered resource. `id` and
 * `schemas` are always returned. Names are case-insensitive; a path may carry its schema URN.
 */
const ALWAYS = new Set(['id', 'schemas']);
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const findKey = (o: Json, name: string) => Object.keys(o).find((k) => k.toLowerCase() === name.toLowerCase());

/** Where a path points: the resource itself or an extension object (by URN), and the attribute there. */
function locate(
  resource: Json,
  path: AttrPath,
): { container: string | undefined; attr: string; sub?: string | undefined } | undefined {
  if (!path.uri) return { container: undefined, attr: path.attr, sub: path.sub };
  const whole = findKey(resource, `${path.uri}:${path.attr}`);
  if (whole && !path.sub) return { container: undefined, attr: whole };
  const ext = findKey(resource, path.uri);
  if (ext && ext.includes(':')) return { container: ext, attr: path.attr, sub: path.sub };
  // The core schema's URN: the attribute sits at the top.
  if (/^urn:ietf:params:scim:schemas:core:2\.0:/i.test(path.uri))
    return { container: undefined, attr: path.attr, sub: path.sub };
  return undefined;
}

export function project(resource: Json, projection: Projection): Json {
  if (projection.attributes) {
    const out: Json = {};
    for (const key of Object.keys(resource)) if (ALWAYS.has(key)) out[key] = resource[key];
    for (const path of projection.attributes) {
      const at = locate(resource, path);
      if (!at) continue;
      const from = at.container ? resource[at.container] : resource;
      if (!isObject(from)) continue;
      const key = findKey(from, at.attr);
      if (key === undefined) continue;
      let to = out;
      if (at.container) {
        if (!isObject(out[at.container])) out[at.container] = {};
        to = out[at.container] as Json;
      }
      copy(from, to, key, at.sub);
    }
    return out;
  }
  if (projection.excluded) {
    const out = structuredClone(resource);
    for (const path of projection.excluded) {
      const at = locate(out, path);
      if (!at) continue;
      const from = at.container ? out[at.container] : out;
      if (!isObject(from)) continue;
      const key = findKey(from, at.attr);
      if (key === undefined || (!at.container && ALWAYS.has(key))) continue;
      if (!at.sub) delete from[key];
      else {
        const value = from[key];
        const strip = (o: unknown) => {
          if (!isObject(o)) return;
          const k = findKey(o, at.sub!);
          if (k !== undefined) delete o[k];
        };
        if (Array.isArray(value)) value.forEach(strip);
        else strip(value);
      }
    }
    return out;
  }
  return resource;
}

function copy(from: Json, to: Json, key: string, sub: string | undefined) {
  const value = from[key];
  if (sub === undefined) {
    to[key] = value;
    return;
  }
  const pick = (o: unknown, into: Json) => {
    if (!isObject(o)) return into;
    const k = findKey(o, sub);
    if (k !== undefined) into[k] = o[k];
    return into;
  };
  if (Array.isArray(value)) {
    const existing = Array.isArray(to[key]) ? (to[key] as Json[]) : value.map(() => ({}));
    to[key] = value.map((v, i) => pick(v, existing[i] ?? {}));
  } else if (isObject(value)) {
    to[key] = pick(value, isObject(to[key]) ? (to[key] as Json) : {});
  }
}

/** Whether an attribute the resource may leave out for cost (`members`, `groups`) is wanted. */
export function wants(projection: Projection, attr: string, byDefault: boolean): boolean {
  const named = (paths: AttrPath[] | undefined, whole: boolean) =>
    paths?.some(
      (p) =>
        p.attr.toLowerCase() === attr.toLowerCase() &&
        !(p.uri && !/core:2\.0:/i.test(p.uri)) &&
        !(whole && p.sub),
    ) ?? false;
  if (projection.attributes) return named(projection.attributes, false);
  // Excluding a sub-attribute (`members.display`) still needs the members.
  if (projection.excluded && named(projection.excluded, true)) return false;
  return byDefault;
}
